"""Meetups end to end: a coordinator announces, alumni answer with buttons whose counts update
on every copy, the waiting list moves up, calendar files update the same entry, reminders come
once (also across restarts), and the pre-read and the follow-up feed the exchange."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import factories
import icalendar
import pytest
from member_steps import configured_coordinator
from outbox_steps import outbox_rows, settled_rows
from sqlmodel import select

from sandbox.driver import Group, Person
from sandbox.harness import Harness
from sandbox.server import SentMessage
from storage.tables import (
    Answer,
    DeliveryStatus,
    Meetup,
    MeetupFeedback,
    MeetupRsvp,
    MeetupStage,
    Member,
)

HAMBURG = (
    "/meetup neu 15.09.2027 18:00-21:00 | Hamburg, Körber-Stiftung | Alumni-Treffen"
    " | Drei Jahrgänge, im Vorfeld des 8. MINT:Barcamps"
)


async def rows_of(bot: Harness, table: type) -> list:  # type: ignore[type-arg]
    async with bot.services.db.session() as session:
        return list((await session.exec(select(table).order_by(table.id))).all())  # type: ignore[attr-defined]


async def statuses(bot: Harness) -> dict[int, str]:
    return {rsvp.member_id: rsvp.status for rsvp in await rows_of(bot, MeetupRsvp)}


async def network(bot: Harness, count: int = 2) -> tuple[Person, Group, list[Person], list[Member]]:
    carla = configured_coordinator(bot)
    people = [bot.world.user(name) for name in ("Anna", "Ben", "Cem", "Dora")[:count]]
    rows = [await factories.member(bot, person) for person in people]
    group = await factories.alumni_group(bot, "Alumni", members=[carla, *people])
    return carla, group, people, rows


async def announced(bot: Harness, carla: Person, command: str = HAMBURG) -> SentMessage:
    await carla.send(command)
    preview = await carla.expect("Vorschau")
    await carla.press("Ankündigen", message=preview)
    return await carla.expect("ist angekündigt")


def calendar_of(message: SentMessage) -> icalendar.Calendar:
    assert message.document is not None, message
    assert message.document["file_name"].endswith(".ics")
    return icalendar.Calendar.from_ical(message.document["content"])


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    [event] = calendar.walk("VEVENT")
    return event


async def test_announcement_counts_update_in_place_on_group_and_private_copies(
    bot: Harness,
) -> None:
    carla, group, (anna, ben), rows = await network(bot)
    done = await announced(bot, carla)
    assert "Alumni-Gruppe und privat an 2 Alumni" in done.text
    in_group = await group.expect("Einladung", "Alumni-Treffen", "Hamburg, Körber-Stiftung")
    assert "Mittwoch, 15. September 2027, 18:00–21:00 Uhr" in in_group.text
    assert "Zusagen: 0" in in_group.text
    await group.expect("Kalender")
    for person in (anna, ben):
        await person.expect("Einladung", "Kommst du?")
        await person.expect("Kalender")
    await settled_rows(bot, "meetup:1:copy:")

    query = await anna.press("Zusage", message=anna.messages[0])
    toast = await anna.callback_answer(query)
    assert "dabei" in toast["text"]
    await group.wait_until(lambda: "Zusagen: 1" in group.messages[0].text, "the group count")
    await ben.wait_until(lambda: "Zusagen: 1" in ben.messages[0].text, "Ben's count")
    await anna.wait_until(lambda: "Deine Antwort: ✅ Zusage" in anna.messages[0].text, "mine")
    assert group.messages[0].edited and ben.messages[0].edited
    await group.press(ben, "Vielleicht", message=group.messages[0])
    await bot.clock.advance(dt.timedelta(seconds=6))  # edits of one copy are paced (5 s)
    await group.wait_until(lambda: "Vielleicht: 1" in group.messages[0].text, "maybe")
    assert await statuses(bot) == {rows[0].id: "yes", rows[1].id: "maybe"}
    # Pressing the same answer again changes nothing and sends no edit.
    edits_before = len(await outbox_rows(bot, "meetup:1:edit:"))
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))
    assert len(await outbox_rows(bot, "meetup:1:edit:")) == edits_before


async def test_edits_are_paced_and_coalesced_per_copy(bot: Harness) -> None:
    await bot.restart(meetup_edit_pace=dt.timedelta(hours=1))
    carla, group, people, _rows = await network(bot, count=4)
    await announced(bot, carla)
    await group.expect("Einladung")
    await settled_rows(bot, "meetup:1:copy:")
    await group.press(people[0], "Zusage", message=group.messages[0])
    await group.wait_until(lambda: "Zusagen: 1" in group.messages[0].text, "the first edit")
    await settled_rows(bot, "meetup:1:edit:1:")
    for person in people[1:]:  # three more answers within the pace: one edit waits for all
        await group.press(person, "Zusage", message=group.messages[0])
    await until_rsvps(bot, 4)
    group_copy_edits = await outbox_rows(bot, "meetup:1:edit:1:")
    assert len(group_copy_edits) == 2  # the one sent and the one waiting with the latest state
    assert group_copy_edits[1].status == DeliveryStatus.PENDING
    assert "Zusagen: 1" in group.messages[0].text
    await bot.clock.advance(dt.timedelta(hours=1, minutes=1))
    await group.wait_until(lambda: "Zusagen: 4" in group.messages[0].text, "the paced edit")
    assert len(await outbox_rows(bot, "meetup:1:edit:1:")) == 2


async def until_rsvps(bot: Harness, count: int, timeout: float = 5.0) -> None:
    """Wait until `count` answers are stored (each press is handled on its own)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(await rows_of(bot, MeetupRsvp)) < count:
        if loop.time() > deadline:
            raise AssertionError(f"waited {timeout}s for {count} answers")
        await asyncio.sleep(0.02)


async def test_a_full_meetup_has_a_waiting_list_that_moves_up(bot: Harness) -> None:
    carla, group, (anna, ben, cem), rows = await network(bot, count=3)
    await announced(bot, carla, HAMBURG + " plätze=1")
    await group.expect("Einladung", "von 1 Plätzen")
    await settled_rows(bot, "meetup:1:copy:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))
    toast = await ben.callback_answer(await ben.press("Zusage", message=ben.messages[0]))
    assert "Warteliste" in toast["text"]
    await cem.callback_answer(await cem.press("Zusage", message=cem.messages[0]))
    assert await statuses(bot) == {rows[0].id: "yes", rows[1].id: "waiting", rows[2].id: "waiting"}
    await ben.wait_until(lambda: "Warteliste" in ben.messages[0].text, "Ben's own status")

    await anna.callback_answer(await anna.press("Absage", message=anna.messages[0]))
    moved = await ben.expect("Ein Platz ist frei geworden", "Alumni-Treffen")
    assert "15. September 2027" in moved.text
    assert await statuses(bot) == {rows[0].id: "no", rows[1].id: "yes", rows[2].id: "waiting"}
    await group.wait_until(lambda: "Warteliste: 1" in group.messages[0].text, "the list")
    await cem.expect_nothing(within=0.3)

    await carla.send("/meetup teilnehmer 1")
    listing = await carla.expect("Dabei: Ben")
    assert "Warteliste: Cem" in listing.text and "Abgesagt: Anna" in listing.text


async def test_calendar_file_keeps_its_uid_and_raises_sequence_on_change_and_cancel(
    bot: Harness,
) -> None:
    carla, group, (anna, ben), _rows = await network(bot)
    await announced(bot, carla)
    await anna.expect("Einladung")
    first = calendar_of(await anna.expect("Kalender"))
    assert first["METHOD"] == "PUBLISH"
    [timezone] = first.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Berlin"
    event = event_of(first)
    start = event.decoded("DTSTART")
    assert (
        str(start.tzinfo) == "Europe/Berlin" or event["DTSTART"].params["TZID"] == "Europe/Berlin"
    )
    assert start.replace(tzinfo=None) == dt.datetime(2027, 9, 15, 18, 0)
    assert start.utcoffset() == dt.timedelta(hours=2)  # summer time in September
    assert event.decoded("DTEND").replace(tzinfo=None) == dt.datetime(2027, 9, 15, 21, 0)
    uid, sequence = str(event["UID"]), int(event["SEQUENCE"])
    assert sequence == 0 and event["STATUS"] == "CONFIRMED"
    await settled_rows(bot, "meetup:1:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))

    await carla.send("/meetup ändern 1 16.09.2027 18:30 | | ")
    await carla.expect("ist geändert", "Version 1", "1 Alumni")
    await anna.expect("Geändert", "16. September 2027, 18:30")
    changed = event_of(calendar_of(await anna.expect("geändert", "Kalender")))
    assert str(changed["UID"]) == uid and int(changed["SEQUENCE"]) == sequence + 1
    assert changed.decoded("DTSTART").replace(tzinfo=None) == dt.datetime(2027, 9, 16, 18, 30)
    assert str(changed["LOCATION"]) == "Hamburg, Körber-Stiftung"  # the empty field kept it
    await anna.wait_until(lambda: "16. September 2027" in anna.messages[0].text, "the edit")
    await ben.expect_nothing(within=0.3)  # no answer yet: no file, only the edited invitation
    await group.expect("Geändert")

    await carla.send("/meetup absagen 1")
    await carla.expect("ist abgesagt")
    await anna.expect("Abgesagt", "findet nicht statt")
    cancelled = event_of(calendar_of(await anna.expect("abgesagt", "Kalender-Apps")))
    assert str(cancelled["UID"]) == uid and int(cancelled["SEQUENCE"]) == sequence + 2
    assert cancelled["STATUS"] == "CANCELLED"
    await anna.wait_until(lambda: "Abgesagt" in anna.messages[0].text, "the cancelled copy")
    assert not (anna.messages[0].reply_markup or {}).get("inline_keyboard")
    # The buttons are gone; an old client that still shows them is told why nothing happens.
    query = await bot.world.press_data(ben, "mu:y:1", chat_id=ben.id, message=ben.messages[0])
    assert "abgesagt" in (await ben.callback_answer(query))["text"]
    [meetup] = await rows_of(bot, Meetup)
    assert meetup.status == "cancelled" and meetup.sequence == 2


REMINDING = {"meetup_reminders": "2h,1h,30m", "meetup_preread": "off", "meetup_followup": "off"}


def soon(bot: Harness, hours: float) -> str:
    start = (bot.clock.now() + dt.timedelta(hours=hours)).astimezone(bot.services.settings.tz)
    return f"/meetup neu {start:%d.%m.%Y %H:%M} | Kassel | Stammtisch"


def reminders(person: Person | Group) -> list[SentMessage]:
    return [m for m in person.messages if "⏰" in m.text]


async def test_reminders_come_once_across_restarts_before_during_and_after(bot: Harness) -> None:
    await bot.restart(quiet_hours="", **REMINDING)
    carla, group, (anna, ben), _rows = await network(bot)
    await announced(bot, carla, soon(bot, 3))
    await anna.expect("Einladung")
    await settled_rows(bot, "meetup:1:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))

    await bot.restart()  # before the first reminder: nothing yet
    await anna.expect_nothing(within=0.2)
    await bot.clock.advance(dt.timedelta(hours=1, minutes=1))  # the 2h reminder falls due
    await anna.expect("Erinnerung", "Stammtisch")
    await ben.expect("⏰", "kommst du?")  # the first reminder also asks who has not answered
    await group.expect("⏰", "Stammtisch")
    await settled_rows(bot, "meetup:1:stage:")
    await bot.restart()  # right after it: not again
    await anna.expect_nothing(within=0.3)

    await bot.stop()  # down while the 1h reminder falls due; back before the next stage
    await bot.clock.advance(dt.timedelta(hours=1))
    await bot.start()
    await anna.expect("Erinnerung")
    await group.expect("⏰")
    await settled_rows(bot, "meetup:1:stage:")

    await bot.stop()  # down across the 30m mark and the start: too late, skipped
    await bot.clock.advance(dt.timedelta(hours=2))
    await bot.start()
    await anna.expect_nothing(within=0.3)
    assert len(reminders(anna)) == 2 and len(reminders(ben)) == 1 and len(reminders(group)) == 2
    stages = {stage.stage: stage.skipped for stage in await rows_of(bot, MeetupStage)}
    assert stages == {"remind-7200s": False, "remind-3600s": False, "remind-1800s": True}


async def test_a_missed_reminder_gives_way_to_the_next_one_due(bot: Harness) -> None:
    await bot.restart(quiet_hours="", **REMINDING)
    carla, _group, (anna, _ben), _rows = await network(bot)
    await announced(bot, carla, soon(bot, 3))
    await anna.expect("Einladung")
    await settled_rows(bot, "meetup:1:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))
    await bot.stop()
    await bot.clock.advance(dt.timedelta(hours=2, minutes=10))  # past 2h and 1h, before 30m
    await bot.start()
    await anna.expect("Erinnerung")
    await settled_rows(bot, "meetup:1:stage:")
    await anna.expect_nothing(within=0.3)
    assert len(reminders(anna)) == 1
    stages = {stage.stage: stage.skipped for stage in await rows_of(bot, MeetupStage)}
    assert stages == {"remind-7200s": True, "remind-3600s": False}


async def test_the_pre_read_and_the_follow_up_feed_the_exchange(bot: Harness) -> None:
    await bot.restart(quiet_hours="", meetup_reminders="off", meetup_preread="2d",
                      meetup_followup="1d")  # fmt: skip
    carla, _group, (anna, ben), rows = await network(bot)
    await factories.round_with_answers(
        bot,
        answers=[(rows[1], 1, "Honorarkräfte finden wir über das Bildungsportal.", [])],
    )
    await announced(bot, carla, soon(bot, 72))
    await anna.expect("Einladung")
    await settled_rows(bot, "meetup:1:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))
    await bot.clock.advance(dt.timedelta(hours=25))
    preread = await anna.expect("Darüber wollen wir reden", "Runde 1")
    assert preread.document is not None
    assert "Bildungsportal" in preread.document["content"].decode("utf-8")
    await ben.expect_nothing(within=0.2)  # no answer: no pre-read

    await bot.clock.advance(dt.timedelta(hours=48 + 2 + 24))  # the day after the meetup
    await anna.expect("Was nimmst du mit?")
    await settled_rows(bot, "meetup:1:stage:followup")
    await bot.restart()  # the open question survives a restart
    await anna.send("Dass Elternarbeit über Influencer vor Ort wirklich klappt.")
    await anna.expect("Danke", "gespeichert")
    [feedback] = await rows_of(bot, MeetupFeedback)
    assert feedback.member_id == rows[0].id and "Influencer" in feedback.text
    async with bot.services.db.session() as session:
        stored = await session.get(Member, rows[0].id)
    assert stored is not None and stored.awaiting is None

    # The next round's digest carries it as a section of its own (round 1 closed before).
    await factories.round_with_answers(
        bot, number=2, open=True, answers=[(rows[1], 1, "Wir suchen Honorarkräfte.", [])]
    )
    await carla.send("/digest")
    digest = await carla.expect("Runde 2", "Vom Treffen mitgenommen")
    assert "Anna" in digest.text and "Influencer vor Ort" in digest.text


async def test_coordinator_commands_are_refused_to_members_and_bad_input_is_explained(
    bot: Harness,
) -> None:
    carla, group, (anna, _ben), _rows = await network(bot)
    await anna.send(HAMBURG)
    await anna.expect("nur die Koordinator:innen")
    asked = await group.send(anna, "/meetup absagen 1")
    refusal = await group.expect("nur die Koordinator:innen")
    assert refusal.reply_to == asked  # in a group the answer says whom it is for
    await carla.send("/meetup neu 31.02.2027 18:00 | Hamburg | Treffen")
    problem = await carla.expect("31.02.2027 18:00", "Datum mit Uhrzeit")
    assert "/meetup neu 31.02.2027" not in problem.text or "Dein Text" in problem.text
    await carla.send("/meetup neu 15.09.2027 18:00 | Hamburg")
    await carla.expect("Ort und Titel")
    await carla.send("/meetup neu 15.09.2027 18:00 | Hamburg | Treffen plätze=viele")
    await carla.expect("„viele“ ist keine Zahl")
    await carla.send("/meetup neu 15.09.2020 18:00 | Hamburg | Treffen")
    await carla.expect("Vergangenheit")
    await carla.send("/meetup absagen 7")
    await carla.expect("gibt es nicht")
    await carla.send("/meetup")
    await carla.expect("/meetup neu 15.09.2027")
    assert await rows_of(bot, Meetup) == []


async def test_members_see_only_names_shown_to_all(bot: Harness) -> None:
    carla, group, (anna, ben, cem), _rows = await network(bot, count=3)
    await announced(bot, carla)
    for person in (anna, ben, cem):
        await person.expect("Einladung")
    await settled_rows(bot, "meetup:1:copy:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))
    await ben.callback_answer(await ben.press("Zusage", message=ben.messages[0]))
    await anna.wait_until(lambda: "Namen allen" in str(anna.messages[0].reply_markup), "button")
    toast = await anna.callback_answer(await anna.press("Namen allen", message=anna.messages[0]))
    assert "sehen jetzt deinen Namen" in toast["text"]

    await cem.send("/meetup teilnehmer 1")
    seen = await cem.expect("Dabei: Anna")
    assert "Ben" not in seen.text and "1 weitere" in seen.text
    await carla.send("/meetup teilnehmer 1")
    full = await carla.expect("Dabei: Anna, Ben")
    assert "Noch keine Antwort (1): Cem" in full.text
    await cem.send("/meetups")
    listed = await cem.expect("Nr. 1: Alumni-Treffen", "Zusagen: 2", "Kommst du?")
    await cem.callback_answer(await cem.press("Vielleicht", message=listed))  # answers there too
    assert "maybe" in (await statuses(bot)).values()

    # Written in the group, even a coordinator's list is what every member may see.
    await group.send(carla, "/meetup teilnehmer 1")
    in_group = await group.expect("Dabei: Anna")
    assert "Ben" not in in_group.text and "Noch keine Antwort" not in in_group.text
    stranger = bot.world.user("Eve")
    await stranger.send("/meetup teilnehmer 1")
    await stranger.expect("melde dich bitte zuerst")
    await stranger.send("/meetups")
    await stranger.expect("melde dich bitte zuerst")


async def test_export_and_forget_cover_rsvps(bot: Harness) -> None:
    carla, group, (anna, _ben), _rows = await network(bot)
    await announced(bot, carla)
    await anna.expect("Einladung")
    await settled_rows(bot, "meetup:1:copy:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))
    await anna.send("/export")
    exported = await anna.expect_document() if hasattr(anna, "expect_document") else None
    if exported is None:
        exported = next(m for m in reversed(anna.messages) if m.document)
        await anna.wait_until(lambda: any(m.document and m.document["file_name"].endswith(".json")
                                          for m in anna.messages), "the export")  # fmt: skip
        exported = next(m for m in reversed(anna.messages)
                        if m.document and m.document["file_name"].endswith(".json"))  # fmt: skip
    assert exported.document is not None
    data = json.loads(exported.document["content"])
    assert [(r["meetup"], r["answer"]) for r in data["meetup_rsvps"]] == [(1, "yes")]
    await anna.send("/forget")
    await anna.expect("wirklich alles")
    await anna.press("löschen")
    await anna.expect("gelöscht")
    assert await rows_of(bot, MeetupRsvp) == []
    await bot.clock.advance(dt.timedelta(seconds=6))  # the group copy's edits are paced
    await group.wait_until(lambda: "Zusagen: 0" in group.messages[0].text, "the count")


@pytest.mark.parametrize("day", [dt.date(2027, 1, 20), dt.date(2027, 7, 20)])
def test_calendar_offsets_follow_daylight_saving(day: dt.date) -> None:
    from zoneinfo import ZoneInfo

    from bot.meetups.calendar import calendar_file

    tz = ZoneInfo("Europe/Berlin")
    start = dt.datetime.combine(day, dt.time(18), tzinfo=tz)
    meetup = Meetup(id=5, title="T", place="P", starts_at=start.astimezone(dt.UTC),
                    created_by=1, request_key="k", sequence=3)  # fmt: skip
    event = event_of(icalendar.Calendar.from_ical(calendar_file(meetup, tz=tz, now=start)))
    offset = event.decoded("DTSTART").utcoffset()
    assert offset == dt.timedelta(hours=1 if day.month == 1 else 2)
    assert int(event["SEQUENCE"]) == 3 and str(event["UID"]) == "meetup-5@alumni-exchange-bot"


async def test_a_reminder_already_due_at_the_announcement_is_not_sent(bot: Harness) -> None:
    await bot.restart(quiet_hours="", **REMINDING)
    carla, group, (anna, ben), _rows = await network(bot)
    await announced(bot, carla, soon(bot, 1.5))  # the 2h reminder lies before the invitation
    await anna.expect("Einladung")
    await settled_rows(bot, "meetup:1:")
    await anna.expect_nothing(within=0.3)
    assert not reminders(anna) and not reminders(ben) and not reminders(group)
    await bot.clock.advance(dt.timedelta(minutes=31))  # the 1h reminder: the first one sent
    await ben.expect("⏰", "kommst du?")
    stages = {stage.stage: stage.skipped for stage in await rows_of(bot, MeetupStage)}
    assert stages == {"remind-7200s": True, "remind-3600s": False}


async def test_an_invitation_held_by_the_quiet_hours_follows_a_change_and_a_cancellation(
    bot: Harness,
) -> None:
    from checkin_steps import quiet_evening

    await bot.restart(quiet_hours="20:00-08:00")
    await quiet_evening(bot)
    carla, group, (anna, _ben), _rows = await network(bot)
    await announced(bot, carla)
    await group.expect("Einladung")  # the group gets it now; Anna's waits for the morning
    await carla.send("/meetup ändern 1 16.09.2027 19:00 | |")
    await carla.expect("ist geändert")
    await bot.clock.advance(dt.timedelta(hours=12))
    await anna.expect("Einladung", "16. September 2027, 19:00")
    newest = calendar_of(await anna.expect("Kalender"))
    assert int(event_of(newest)["SEQUENCE"]) == 1  # the outdated file was not sent
    await settled_rows(bot, "meetup:1:")
    assert sum(1 for m in anna.messages if m.document) == 1

    await quiet_evening(bot)
    await carla.send("/meetup absagen 1")
    await carla.expect("ist abgesagt")
    cancelled = event_of(calendar_of(await group.expect("abgesagt", "Kalender-Apps")))
    assert cancelled["STATUS"] == "CANCELLED"  # the group's file follows too


async def test_a_moved_meetup_is_reminded_again_at_its_new_time(bot: Harness) -> None:
    await bot.restart(quiet_hours="", **REMINDING)
    carla, _group, (anna, _ben), _rows = await network(bot)
    await announced(bot, carla, soon(bot, 3))
    await anna.expect("Einladung")
    await settled_rows(bot, "meetup:1:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))
    await bot.clock.advance(dt.timedelta(hours=1, minutes=1))
    await anna.expect("Erinnerung", "in 2 Stunden")
    later = (bot.clock.now() + dt.timedelta(hours=5)).astimezone(bot.services.settings.tz)
    await carla.send(f"/meetup ändern 1 {later:%d.%m.%Y %H:%M} | |")
    await carla.expect("ist geändert")
    await anna.expect("Geändert")
    await bot.clock.advance(dt.timedelta(hours=3, minutes=1))  # 2h before the new time
    await anna.expect("Erinnerung", "in 2 Stunden")
    assert len(reminders(anna)) == 2


async def test_an_open_follow_up_gives_way_to_a_check_in_question(bot: Harness) -> None:
    await bot.restart(quiet_hours="", meetup_reminders="off", meetup_preread="off",
                      meetup_followup="1h")  # fmt: skip
    carla, _group, (anna, _ben), rows = await network(bot)
    await announced(bot, carla, soon(bot, 2))
    await anna.expect("Einladung")
    await settled_rows(bot, "meetup:1:")
    await anna.callback_answer(await anna.press("Zusage", message=anna.messages[0]))
    await bot.clock.advance(dt.timedelta(hours=3, minutes=1))
    await anna.expect("Was nimmst du mit?")
    await settled_rows(bot, "meetup:1:stage:")
    await carla.send("/round open 14d")
    await anna.expect("Frage 1")
    await anna.send("Wir haben zwei neue Honorarkräfte gewonnen.")
    await anna.expect("Frage 2")
    assert await rows_of(bot, MeetupFeedback) == []
    async with bot.services.db.session() as session:
        answers = (await session.exec(select(Answer))).all()
    assert [a.text for a in answers] == ["Wir haben zwei neue Honorarkräfte gewonnen."]
    assert answers[0].member_id == rows[0].id
