"""Broadcasts end to end: a coordinator previews a message to a cohort and/or region, sends it
(now or at a set time, also across restarts), the chosen active members get exactly the
previewed text once, and the coordinator gets one delivery report whose numbers are the
sandbox's own."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import factories
from member_steps import configured_coordinator
from outbox_steps import outbox_rows, settled_rows
from sqlmodel import select

from sandbox.driver import Person
from sandbox.harness import Harness
from sandbox.server import SentMessage
from storage.tables import Broadcast, BroadcastStatus, DeliveryStatus, Member

BERLIN = ZoneInfo("Europe/Berlin")
NORTH = "MINT-Region Nordhessen"
SOUTH = "MINT-Region Südbaden"
TEXT = "Liebe Alumni,\nam 14.09. treffen wir uns in Hamburg <vor dem Barcamp> & danach!"


async def broadcasts(bot: Harness) -> list[Broadcast]:
    async with bot.services.db.session() as session:
        return list((await session.exec(select(Broadcast).order_by(Broadcast.id))).all())  # type: ignore[arg-type]


async def alumni(bot: Harness) -> dict[str, Person]:
    """Five alumni: two of them (Ben, Eva) are active in cohort 2023 and Nordhessen."""
    people = {name: bot.world.user(name) for name in ("Anna", "Ben", "Cleo", "Dora", "Eva")}
    await factories.member(bot, people["Anna"], cohort_name="Jahrgang 2022", region=NORTH)
    await factories.member(bot, people["Ben"], cohort_name="Jahrgang 2023", region=NORTH)
    await factories.member(bot, people["Cleo"], cohort_name="Jahrgang 2023", region=SOUTH)
    paused = bot.clock.now() + dt.timedelta(days=30)
    await factories.member(
        bot, people["Dora"], cohort_name="Jahrgang 2023", region=NORTH, paused_until=paused
    )
    await factories.member(bot, people["Eva"], cohort_name="Jahrgang 2023", region=NORTH)
    return people


async def preview(carla: Person, command: str, recipients: int) -> SentMessage:
    """Send the command; return the summary with the buttons (after the exact text)."""
    await carla.send(command)
    return await carla.expect("Vorschau", f"An: {recipients} Alumni")


async def test_the_segment_gets_exactly_the_previewed_text_and_nobody_else(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    people = await alumni(bot)
    await carla.send(f"/broadcast jahrgang=2023 region=Nordhessen {TEXT}")
    shown = await carla.next_message()
    assert shown.text == TEXT and not shown.buttons  # exactly as it will arrive
    summary = await carla.expect("Vorschau von Rundnachricht #1", "An: 2 Alumni")
    assert "Jahrgang 2023 · Region MINT-Region Nordhessen" in summary.text
    assert summary.button_texts == ["📣 Senden", "Abbrechen"]
    assert [b.status for b in await broadcasts(bot)] == [BroadcastStatus.DRAFT]

    await carla.press("Senden")
    await carla.wait_until(lambda: "geht jetzt an 2 Alumni" in summary.text, "the confirmation")
    assert summary.buttons == []  # the preview cannot be sent a second time
    for name in ("Ben", "Eva"):
        arrived = await people[name].expect("Liebe Alumni")
        assert arrived.text == shown.text and arrived.raw_text == shown.raw_text
        people[name].assert_all_read()
    report = await carla.expect("Zustellbericht für Rundnachricht #1")
    assert "zugestellt: 2" in report.text and "nicht erreichbar" in report.text
    assert "nicht erreichbar (Bot blockiert oder Konto gelöscht; so vermerkt): 0" in report.text
    for name in ("Anna", "Cleo", "Dora"):
        assert people[name].messages == []
    [broadcast] = await broadcasts(bot)
    assert broadcast.status == BroadcastStatus.CONFIRMED and broadcast.recipients == 2
    assert broadcast.report_queued_at is not None
    rows = await settled_rows(bot, "broadcast:1:")
    assert sorted(row.purpose_key for row in rows) == [
        "broadcast:1:member:2",
        "broadcast:1:member:5",
        "broadcast:1:report",
    ]
    assert all(row.payload == {} for row in rows)  # the text goes once delivered


async def test_cancel_sends_nothing(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    people = await alumni(bot)
    summary = await preview(carla, f"/broadcast {TEXT}", 4)
    await carla.press("Abbrechen")
    await carla.wait_until(lambda: "verworfen" in summary.text, "the cancellation")
    await carla.send("/broadcast status 1")
    await carla.expect("Rundnachricht #1 wurde verworfen")
    [broadcast] = await broadcasts(bot)
    assert broadcast.status == BroadcastStatus.CANCELLED
    assert await outbox_rows(bot, "broadcast:") == []
    for person in people.values():
        assert person.messages == []


def sandbox_counts(bot: Harness, recipients: list[int]) -> dict[str, int]:
    """What the sandbox itself saw: messages that arrived, and the errors it answered."""
    refused = [error for method, error in bot.server.rejected if method == "sendMessage"]
    return {
        "delivered": sum(
            any(m.text == "Treffen in Hamburg!" for m in bot.server.sent_to(chat))
            for chat in recipients
        ),
        "unreachable": sum(error.code == 403 for error in refused),
        "failed": sum(error.code == 400 for error in refused),
        "retried": sum(error.code >= 500 for error in refused),
    }


async def test_blocked_members_and_faults_are_counted_as_the_sandbox_saw_them(
    bot: Harness,
) -> None:
    carla = configured_coordinator(bot)
    people = [bot.world.user(f"Alumna{index}") for index in range(8)]
    for person in people:
        await factories.member(bot, person, cohort_name="Jahrgang 2023")
    for person in people[2:4]:
        person.user.blocked_bot = True  # blocked without the bot hearing of it: the 403 tells
    # An account Telegram no longer knows: refused for good ("chat not found").
    gone = await factories.member(bot, bot.world.user("Gone"), cohort_name="Jahrgang 2023")
    async with bot.services.db.write() as session:
        row = await session.get(Member, gone.id)
        assert row is not None
        row.telegram_id = 123_456_789
        session.add(row)
        await session.commit()
    recipients = [person.id for person in people] + [123_456_789]

    summary = await preview(carla, "/broadcast jahrgang=2023 Treffen in Hamburg!", 9)
    bot.server.fail_next(2, status=502, description="Bad Gateway", methods={"sendMessage"})
    await carla.press("Senden")
    report = await carla.expect("Zustellbericht für Rundnachricht #1")
    assert "geht jetzt an 9 Alumni" in summary.text

    seen = sandbox_counts(bot, recipients)
    assert seen == {"delivered": 6, "unreachable": 2, "failed": 1, "retried": 2}
    assert f"zugestellt: {seen['delivered']}" in report.text
    assert f"so vermerkt): {seen['unreachable']}" in report.text
    assert f"auch nach Wiederholungen): {seen['failed']}" in report.text
    assert "wartend" not in report.text
    rows = await settled_rows(bot, "broadcast:1:member:")
    statuses = sorted(str(row.status) for row in rows)
    assert statuses == ["failed"] + ["sent"] * 6 + ["unreachable"] * 2
    assert sum(row.attempts for row in rows if row.status == DeliveryStatus.SENT) >= 6
    async with bot.services.db.session() as session:
        members = (await session.exec(select(Member))).all()
    assert sorted(m.display_name or "" for m in members if not m.reachable) == [
        "Alumna2",
        "Alumna3",
    ]

    await carla.send("/broadcast status 1")
    status = await carla.expect("Stand von Rundnachricht #1")
    assert "zugestellt: 6" in status.text and "so vermerkt): 2" in status.text
    await bot.restart()
    await carla.expect_nothing(within=0.3)
    assert sum("Zustellbericht" in m.text for m in carla.messages) == 1


async def next_local(bot: Harness, hour: int) -> dt.datetime:
    local = bot.clock.now().astimezone(BERLIN)
    moment = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if moment <= local:
        moment += dt.timedelta(days=1)
    return moment


async def test_in_the_quiet_hours_the_status_shows_who_is_still_waiting(bot: Harness) -> None:
    await bot.restart(quiet_hours="20:00-08:00")
    await bot.clock.move_to(await next_local(bot, 21))
    carla = configured_coordinator(bot)
    people = await alumni(bot)
    summary = await preview(carla, "/broadcast region=Nordhessen Treffen in Hamburg!", 3)
    await carla.press("Senden")
    await carla.wait_until(lambda: "geht jetzt an 3 Alumni" in summary.text, "the confirmation")
    rows = await outbox_rows(bot, "broadcast:1:member:")
    assert len(rows) == 3 and all(row.status == DeliveryStatus.PENDING for row in rows)

    await carla.send("/broadcast status 1")
    status = await carla.expect("Stand von Rundnachricht #1")
    assert "zugestellt: 0" in status.text
    assert "noch wartend (Ruhezeit oder geplant): 3, ab" in status.text
    assert "08:00 Uhr" in status.text
    for person in people.values():
        assert person.messages == []

    await bot.clock.move_to(await next_local(bot, 8))
    report = await carla.expect("Zustellbericht für Rundnachricht #1")
    assert "zugestellt: 3" in report.text and "wartend" not in report.text
    for name in ("Anna", "Ben", "Eva"):
        await people[name].expect("Treffen in Hamburg!")
        people[name].assert_all_read()


async def test_a_scheduled_broadcast_goes_out_after_a_restart_when_its_time_comes(
    bot: Harness,
) -> None:
    carla = configured_coordinator(bot)
    people = await alumni(bot)
    moment = bot.clock.now().astimezone(BERLIN) + dt.timedelta(hours=3)
    typed = moment.strftime("%d.%m.%Y %H:%M")
    summary = await preview(
        carla, f"/broadcast jahrgang=2023 zeit={typed}\nTreffen in Hamburg!\nBis bald", 3
    )
    assert "Wann: am " in summary.text and moment.strftime("%H:%M") in summary.text
    await carla.press("Senden")
    await carla.wait_until(lambda: "ist geplant" in summary.text, "the confirmation")
    recipients = [people[name] for name in ("Ben", "Cleo", "Eva")]
    await bot.restart()
    await recipients[0].expect_nothing(within=0.3)
    assert all(person.messages == [] for person in recipients)

    await bot.stop()
    await bot.clock.advance(dt.timedelta(hours=3))  # its time comes while the bot is down
    await bot.start()
    for person in recipients:
        arrived = await person.expect("Treffen in Hamburg!")
        assert arrived.text == "Treffen in Hamburg!\nBis bald"
    await carla.expect("Zustellbericht für Rundnachricht #1", "zugestellt: 3")
    await bot.restart()
    await carla.expect_nothing(within=0.3)
    for person in recipients:
        person.assert_all_read()
    assert people["Anna"].messages == [] and people["Dora"].messages == []


async def test_a_restart_between_preview_and_a_double_pressed_send_sends_once(
    bot: Harness,
) -> None:
    carla = configured_coordinator(bot)
    people = await alumni(bot)
    summary = await preview(carla, "/broadcast jahrgang=2023 Treffen in Hamburg!", 3)
    command_update = bot.server.update_id_of("/broadcast jahrgang=2023 Treffen in Hamburg!")
    await bot.restart()
    await bot.server.redeliver(command_update)  # the command again: no second draft
    data = summary.buttons[0]["callback_data"]
    first = await bot.world.press_data(carla, data, chat_id=carla.id, message=summary)
    second = await bot.world.press_data(carla, data, chat_id=carla.id, message=summary)
    await carla.expect("Zustellbericht für Rundnachricht #1", "zugestellt: 3")
    answers = [await carla.callback_answer(query) for query in (first, second)]
    assert [answer.get("text") for answer in answers].count(
        "Die Rundnachricht ist schon unterwegs."
    ) == 1
    for name in ("Ben", "Cleo", "Eva"):
        await people[name].expect("Treffen in Hamburg!")
        await people[name].expect_nothing(within=0.1)
        people[name].assert_all_read()
    assert len(await broadcasts(bot)) == 1
    assert len(await outbox_rows(bot, "broadcast:1:member:")) == 3


async def test_only_coordinators_may_broadcast_anywhere(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    people = await alumni(bot)
    anna = people["Anna"]
    await anna.send("/broadcast Hallo alle!")
    await anna.expect("Das dürfen nur die Koordinator:innen")
    group = await factories.alumni_group(bot, "Alumni", members=[carla, anna])
    await group.send(anna, "/broadcast Hallo alle!")
    await group.expect("Das dürfen nur die Koordinator:innen")
    await group.send(carla, "/broadcast Hallo alle!")
    await group.expect("im privaten Chat")

    summary = await preview(carla, "/broadcast Hallo alle!", 4)
    data = summary.buttons[0]["callback_data"]
    forged = await bot.world.press_data(anna, data, chat_id=anna.id, message=summary)
    await anna.callback_answer(forged)
    assert [b.status for b in await broadcasts(bot)] == [BroadcastStatus.DRAFT]
    assert await outbox_rows(bot, "broadcast:") == []


async def test_bad_input_says_how_to_do_it_right(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await alumni(bot)
    cases = [
        ("/broadcast", "Rundnachricht an die Alumni"),
        ("/broadcast hilfe", "jahrgang=2023"),
        ("/broadcast jahrgang=1999 Hallo", "Den Jahrgang „1999“ kenne ich nicht"),
        ("/broadcast region=Bayern Hallo", "Die Region „Bayern“ hat kein Mitglied"),
        ("/broadcast region=MINT Hallo", "passt zu mehreren Regionen"),
        ("/broadcast zeit=morgen Hallo", "Den Zeitpunkt „morgen“ verstehe ich nicht"),
        ("/broadcast zeit=31.12.2027 Hallo", "verstehe ich nicht"),
        ("/broadcast zeit=01.01.2020 10:00 Hallo", "liegt in der Vergangenheit"),
        ("/broadcast jahrgang=2023", "Es fehlt der Text"),
        ("/broadcast " + "x" * 4097, "4097 Zeichen lang; Telegram erlaubt höchstens 4096"),
        ("/broadcast status", "Welche Rundnachricht?"),
        ("/broadcast status 9", "Eine Rundnachricht #9 gibt es nicht"),
    ]
    for command, needle in cases:
        await carla.send(command)
        answer = await carla.expect(needle)
        if "Zeitpunkt" in needle or "Jahrgang" in needle:
            assert "So hattest du es geschrieben" in answer.text
    # Nobody active in the segment: said so, nothing stored.
    await factories.cohort(bot, "Jahrgang 2030")
    await carla.send("/broadcast jahrgang=2030 Hallo")
    await carla.expect("gerade niemand aktiv")
    assert await broadcasts(bot) == []


async def test_forget_erases_a_recipients_copy_and_the_report_still_comes(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    people = await alumni(bot)
    summary = await preview(carla, "/broadcast jahrgang=2023 zeit=2h Treffen in Hamburg!", 3)
    await carla.press("Senden")
    await carla.wait_until(lambda: "ist geplant" in summary.text, "the confirmation")
    ben = people["Ben"]
    await ben.send("/forget")
    await ben.expect("wirklich alles")
    await ben.press("Ja, alles löschen")
    await ben.expect("gelöscht")
    keys = [row.purpose_key for row in await outbox_rows(bot, "broadcast:1:member:")]
    assert keys == ["broadcast:1:member:3", "broadcast:1:member:5"]  # Ben's row went with him
    await people["Cleo"].send("/pause")
    await people["Cleo"].expect("Du machst Pause")

    await bot.clock.advance(dt.timedelta(hours=2))
    report = await carla.expect("Zustellbericht für Rundnachricht #1")
    assert "zugestellt: 1" in report.text
    assert "nicht gesendet, weil inzwischen pausiert oder abgemeldet: 1" in report.text
    assert "haben ihre Daten inzwischen gelöscht: 1" in report.text
    assert [m.text for m in people["Cleo"].messages if "Treffen" in m.text] == []
    assert not any("Treffen" in m.text for m in ben.messages)


async def test_retention_purges_old_broadcasts_with_their_rows(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await alumni(bot)
    for command in ("/broadcast Alte Nachricht", "/broadcast Neue Nachricht"):
        summary = await preview(carla, command, 4)
        await carla.press("Senden")
        await carla.expect("Zustellbericht")
        assert "geht jetzt" in summary.text
    await preview(carla, "/broadcast Nie gesendet", 4)
    long_ago = bot.clock.now() - dt.timedelta(days=800)
    async with bot.services.db.write() as session:
        old, _new, draft = await broadcasts(bot)
        for row, field in ((old, "confirmed_at"), (draft, "created_at")):
            setattr(row, field, long_ago)
            session.add(row)
        await session.commit()
    await bot.restart()  # the purge runs at start (RETENTION: 730 days)
    assert [b.text for b in await broadcasts(bot)] == ["Neue Nachricht"]
    assert await outbox_rows(bot, "broadcast:1:") == []
    assert len(await outbox_rows(bot, "broadcast:2:")) == 5  # four copies and the report
