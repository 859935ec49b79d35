"""Rounds as the coordinators and the schedule run them: open, status, remind, close."""

from __future__ import annotations

import datetime as dt

import factories
import pytest
from checkin_steps import (
    QUIET_HOURS,
    answer_all,
    answers,
    coordinator,
    count,
    eventually,
    member_row,
    next_local_time,
    only_open_round,
    open_round,
    outbox,
    participation,
    quiet_evening,
    rounds,
)
from conftest import COORDINATOR_ID
from outbox_steps import settled_rows

from sandbox.harness import Harness
from storage.tables import Member

COMPRESSED = {
    "coordinator_ids": [COORDINATOR_ID],
    "checkin_schedule": "",  # only /round open: nothing opens by itself during the test
    "checkin_reminders": "open+1d",
}


async def test_full_round_with_three_cohorts(bot: Harness) -> None:
    people = {}
    for name, cohort in [
        ("Anna", "Jahrgang 2021"),
        ("Ben", "Jahrgang 2021"),
        ("Cem", "Jahrgang 2022"),
        ("Dana", "Jahrgang 2022"),
        ("Eva", "Jahrgang 2023"),
        ("Finn", "Jahrgang 2023"),
    ]:
        people[name] = bot.world.user(name)
        await factories.member(bot, people[name], cohort_name=cohort, region=f"MINT {name}")
    kim = await coordinator(bot)
    await kim.send("/round open 14d")
    opened = await kim.expect("Runde 1 ist offen bis", "6 Alumni bekommen die Fragen")
    assert "Uhr" in opened.text
    for person in people.values():
        await person.expect("Hallo", "Frage 1 von 5")

    for name in ("Anna", "Cem", "Eva"):
        await answer_all(people[name], [f"{name}: Förderung", "b", "c", "d", "e"])
    await people["Finn"].send("Wir starten ein Mädchen-Projekt")
    await people["Finn"].expect("Frage 2 von 5")

    await kim.send("/round")
    status = await kim.expect("Runde 1", "offen bis")
    assert "Fertig: 3 von 6 · noch in Arbeit: 1" in status.text
    assert "Jahrgang 2021: 1 von 2" in status.text
    assert "Jahrgang 2022: 1 von 2" in status.text
    assert "Jahrgang 2023: 1 von 2" in status.text
    assert "\n\n" not in status.text.split("Jahrgang 2021", 1)[1]  # one line per cohort
    assert "Es fehlen: Ben (MINT Ben)" in status.text
    assert "Dana (MINT Dana)" in status.text and "Finn (MINT Finn)" in status.text
    assert "Anna (MINT Anna)" not in status.text

    await kim.send("/round close")
    await kim.expect("Runde 1 ist geschlossen")
    (closed,) = await rounds(bot)
    assert closed.status == "closed" and closed.closed_at is not None
    assert closed.opened_by == kim.id and closed.scheduled_for is None
    assert len(await outbox(bot, "checkin:round:1:member:")) == 6
    await kim.send("/round")
    await kim.expect("Runde 1", "geschlossen am", "Fertig: 3 von 6")


async def test_round_commands_refuse_bad_input_and_non_coordinators(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await anna.send("/round open")
    await anna.expect("Das dürfen nur die Koordinator:innen")
    assert await rounds(bot) == []

    kim = await coordinator(bot)
    await kim.send("/round")
    await kim.expect("Es gab noch keine Runde")
    await kim.send("/round close")
    await kim.expect("Gerade ist keine Runde offen")
    await kim.send("/round open zwei Wochen")
    await kim.expect("„zwei Wochen“ verstehe ich nicht als Dauer", "/round open 14d")
    await kim.send("/round tanzen")
    await kim.expect("/round open [Dauer]")
    assert await rounds(bot) == []

    await open_round(bot, kim, "2h")
    await kim.send("/round open")
    await kim.expect("Runde 1 läuft schon")
    assert len(await rounds(bot)) == 1


@pytest.mark.parametrize("settings_overrides", [COMPRESSED])
async def test_reminders_only_for_active_members_who_have_not_finished(bot: Harness) -> None:
    anna, ben, carla = (bot.world.user(name) for name in ("Anna", "Ben", "Carla"))
    await factories.member(bot, anna)
    await factories.member(bot, ben)
    await factories.member(bot, carla, paused_until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    kim = await coordinator(bot)
    current = await open_round(bot, kim, "3d")

    await ben.expect("Frage 1 von 5")
    for number in range(2, 6):
        await ben.press("Überspringen")
        await ben.expect(f"Frage {number} von 5")
    await ben.press("Überspringen")
    await ben.expect("Deine Antworten")
    await anna.expect("Frage 1 von 5")
    await anna.send("Honorarkräfte sind schwer zu finden")
    await anna.expect("Frage 2 von 5")

    await bot.clock.move_to(current.opened_at + dt.timedelta(days=1))
    reminder = await anna.expect("kurze Erinnerung", "1 von 5 Fragen beantwortet")
    assert reminder.button_texts == ["Jetzt weitermachen"]
    assert count(ben, "Erinnerung") == 0
    assert carla.messages == []  # paused: neither prompt nor reminder
    assert await participation(bot, carla) is None

    # The round closes on time by itself; the reminder never repeats, not even after a restart.
    assert current.closes_at is not None
    await bot.clock.move_to(current.closes_at)
    await eventually(lambda: _no_open_round(bot), "the round to close on time")
    await bot.restart()
    await anna.expect_nothing(0.3)
    assert count(anna, "Erinnerung") == 1
    reminders = await outbox(bot, "checkin:round:1:remind:")
    assert [(row.chat_id, row.status) for row in reminders] == [(anna.id, "sent")]
    await anna.press("Jetzt weitermachen")
    await anna.expect("schon abgeschlossen")


async def _no_open_round(bot: Harness) -> bool:
    return await only_open_round(bot) is None


@pytest.mark.parametrize("settings_overrides", [COMPRESSED])
async def test_reminder_due_while_down_is_sent_once_on_start(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    kim = await coordinator(bot)
    current = await open_round(bot, kim, "3d")
    await anna.expect("Frage 1 von 5")

    await bot.stop()
    await bot.clock.move_to(current.opened_at + dt.timedelta(days=1, seconds=1))
    await bot.start()
    await anna.expect("kurze Erinnerung", "0 von 5")
    await bot.restart()
    await anna.expect_nothing(0.3)
    assert count(anna, "Erinnerung") == 1
    assert len(await outbox(bot, "checkin:round:1:remind:1:")) == 1

    # The reminder button continues the check-in where the member is.
    await anna.press("Jetzt weitermachen")
    await anna.expect("Frage 1 von 5")
    anna.assert_all_read()


async def test_member_who_blocks_the_bot_mid_round_gets_nothing_more(bot: Harness) -> None:
    anna, ben = bot.world.user("Anna"), bot.world.user("Ben")
    await factories.member(bot, anna)
    await factories.member(bot, ben)
    kim = await coordinator(bot)
    await open_round(bot, kim)
    await anna.expect("Frage 1 von 5")
    await anna.send("Erste Antwort")
    await anna.expect("Frage 2 von 5")
    await anna.block()

    async def anna_unreachable() -> bool:
        return not (await member_row(bot, anna)).reachable

    await eventually(anna_unreachable, "Anna to be marked unreachable")
    await kim.send("/round remind")
    await kim.expect("Erinnerung für Runde 1 an 1 Alumni verschickt")
    await ben.expect("kurze Erinnerung")
    reminders = await outbox(bot, "checkin:round:1:remind:")
    assert [row.chat_id for row in reminders] == [ben.id]
    assert [text for _, text, _ in await answers(bot, anna)] == ["Erste Antwort"]  # kept

    await kim.send("/round")
    status = await kim.expect("Fertig: 0 von 2")
    assert "Anna" in status.text  # still counted as asked and missing


async def test_paused_member_is_not_asked_but_may_check_in(bot: Harness) -> None:
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, paused_until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    kim = await coordinator(bot)
    await kim.send("/round open")
    await kim.expect("0 Alumni bekommen die Fragen")
    await carla.expect_nothing(0.2)
    assert await outbox(bot, "checkin:round:") == []
    await carla.send("/checkin")
    await carla.expect("Frage 1 von 5")


async def test_quiet_hours_defer_the_prompts(bot: Harness) -> None:
    await quiet_evening(bot)
    await bot.restart(quiet_hours=QUIET_HOURS)
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    kim = await coordinator(bot)
    await open_round(bot, kim)  # a reply to the coordinator is not held back
    (prompt,) = await outbox(bot, "checkin:round:")
    assert prompt.status == "pending"
    assert prompt.not_before == next_local_time(bot, 8)
    await bot.restart()
    await anna.expect_nothing(0.3)
    (prompt,) = await outbox(bot, "checkin:round:")
    assert prompt.status == "pending"
    # The member may still start on her own: that is a reply, not a message out of the blue.
    await anna.send("/checkin")
    await anna.expect("Frage 1 von 5")


async def test_restart_after_open_before_prompts_are_delivered(bot: Harness) -> None:
    """The opening transaction committed, then the bot died before the outbox sent anything."""
    from bot.rounds import lifecycle as round_logic
    from handlers.app import build_application

    anna, ben = bot.world.user("Anna"), bot.world.user("Ben")
    await factories.member(bot, anna)
    await factories.member(bot, ben)
    await bot.stop()
    services = build_application(bot.settings, clock=bot.clock).services
    async with services.db.write() as session:
        opened = await round_logic.open_round(
            session, services=services, now=bot.clock.now(), duration=dt.timedelta(hours=1)
        )
        await session.commit()
    await services.db.close()
    assert opened is not None

    await bot.start()
    await anna.expect("1. Austauschrunde", "Frage 1 von 5")
    await ben.expect("1. Austauschrunde", "Frage 1 von 5")
    await bot.restart()
    await anna.expect_nothing(0.3)
    assert count(anna, "Austauschrunde") == 1 and count(ben, "Austauschrunde") == 1
    assert [row.status for row in await outbox(bot, "checkin:round:")] == ["sent", "sent"]


async def test_round_that_ran_out_while_down_closes_on_start(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    current = await open_round(bot, await coordinator(bot), "2h")
    await anna.expect("Frage 1 von 5")
    await anna.send("Gerade noch")
    await anna.expect("Frage 2 von 5")

    await bot.stop()
    assert current.closes_at is not None
    await bot.clock.move_to(current.closes_at)
    await bot.start()
    (closed,) = await rounds(bot)
    assert closed.status == "closed" and closed.closed_at is not None
    await bot.restart()
    (again,) = await rounds(bot)
    assert again.closed_at == closed.closed_at  # closed once
    await anna.send("Zu spät")
    await anna.expect("schon abgeschlossen")
    assert [text for _, text, _ in await answers(bot, anna)] == ["Gerade noch"]


async def _let_quiet_hours_pass(bot: Harness) -> None:
    """Morning comes: wait until every check-in row is settled (sent or withdrawn)."""
    await bot.clock.move_to(next_local_time(bot, 8))
    await settled_rows(bot, "checkin:")


@pytest.mark.parametrize(
    "settings_overrides",
    [{"coordinator_ids": [COORDINATOR_ID], "quiet_hours": QUIET_HOURS, "checkin_reminders": ""}],
)
async def test_deferred_prompts_and_reminders_are_checked_again_when_due(bot: Harness) -> None:
    await quiet_evening(bot)
    anna, ben, carla = (bot.world.user(name) for name in ("Anna", "Ben", "Carla"))
    for person in (anna, ben, carla):
        await factories.member(bot, person)
    kim = await coordinator(bot)
    await open_round(bot, kim, "3d")
    assert [row.status for row in await outbox(bot)] == ["pending"] * 3

    # In the quiet hours Ben pauses and Carla starts on her own.
    await ben.send("/pause")
    await ben.expect("Du machst Pause")
    await carla.send("/checkin")
    await carla.expect("Frage 1 von 5")
    await carla.send("Wir planen einen Elternabend")
    await carla.expect("Gespeichert", "Frage 2 von 5")

    await _let_quiet_hours_pass(bot)
    await anna.expect("Hallo Anna", "1. Austauschrunde", "Frage 1 von 5")
    prompts = {row.chat_id: row.status for row in await outbox(bot, "checkin:round:1:member:")}
    assert prompts == {anna.id: "sent", ben.id: "withdrawn", carla.id: "withdrawn"}
    assert count(ben, "Austauschrunde") == 0 and count(carla, "Austauschrunde") == 0
    assert count(carla, "Frage 1 von 5") == 1  # not asked again what she answered

    # Reminders queued in the quiet hours; Carla finishes before they are due.
    await quiet_evening(bot)
    await kim.send("/round remind")
    await kim.expect("an 2 Alumni verschickt")
    for text, following in (("b", "Frage 3"), ("c", "Frage 4"), ("d", "Frage 5"), ("e", "Danke")):
        await carla.send(text)
        await carla.expect(following)
    await _let_quiet_hours_pass(bot)
    await anna.expect("kurze Erinnerung")
    reminders = {row.chat_id: row.status for row in await outbox(bot, "checkin:round:1:remind:")}
    assert reminders == {anna.id: "sent", carla.id: "withdrawn"}
    assert count(carla, "Erinnerung") == 0

    # A reminder still waiting when the round closes is not sent either.
    await quiet_evening(bot)
    await kim.send("/round remind")
    await kim.expect("an 1 Alumni verschickt")
    await kim.send("/round close")
    await kim.expect("Runde 1 ist geschlossen")
    await _let_quiet_hours_pass(bot)
    statuses = [row.status for row in await outbox(bot, "checkin:round:1:remind:")]
    assert sorted(statuses) == ["sent", "withdrawn", "withdrawn"]
    await anna.expect_nothing(0.2)
    assert count(anna, "Erinnerung") == 1


async def test_member_in_onboarding_is_asked_once_her_profile_is_done(bot: Harness) -> None:
    """Her reply to the profile's question is not taken for a check-in answer, or vice versa."""
    anna, ben = bot.world.user("Anna"), bot.world.user("Ben")
    await factories.member(bot, anna, region=None)
    async with bot.services.db.write() as session:  # consented, at the profile's third step
        row = await session.get(Member, (await member_row(bot, anna)).id)
        assert row is not None
        row.awaiting = "profile:region:onboarding"
        await session.commit()
    await factories.member(bot, ben)
    kim = await coordinator(bot)
    await open_round(bot, kim)
    await ben.expect("Frage 1 von 5")
    assert [row.chat_id for row in await outbox(bot)] == [ben.id]
    await kim.send("/round remind")
    await kim.expect("an 1 Alumni verschickt")  # Ben only
    assert anna.messages == []

    await anna.send("MINT-Region Kassel")
    await anna.expect("Organisation")
    await anna.send("Bildungsbüro Kassel")
    await anna.expect("Rolle")
    await anna.send("Projektleitung")
    await anna.expect("Fertig")
    await anna.expect("Hallo Anna", "1. Austauschrunde", "Frage 1 von 5")
    await anna.send("Wir suchen Honorarkräfte")
    await anna.expect("Gespeichert", "Frage 2 von 5")

    stored = await member_row(bot, anna)
    assert (stored.region, stored.organisation, stored.job_role) == (
        "MINT-Region Kassel",
        "Bildungsbüro Kassel",
        "Projektleitung",
    )
    assert [text for _, text, _ in await answers(bot, anna)] == ["Wir suchen Honorarkräfte"]
    assert count(anna, "1. Austauschrunde") == 1
