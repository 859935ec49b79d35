"""Rounds open by themselves from CHECKIN_SCHEDULE, exactly once, even across restarts."""

from __future__ import annotations

import datetime as dt

import factories
from checkin_steps import count, cron_at, outbox, rounds

from sandbox.harness import Harness


def _slot_ahead(bot: Harness, hours: float = 1) -> dt.datetime:
    """A whole minute about `hours` ahead of the bot's clock (the tests move the clock there)."""
    moment = bot.clock.now() + dt.timedelta(hours=hours)
    return moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


async def test_scheduled_round_opens_on_time_and_only_once(bot: Harness) -> None:
    slot = _slot_ahead(bot)
    await bot.restart(checkin_schedule=cron_at(slot), checkin_duration=dt.timedelta(hours=2))
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await bot.clock.move_to(slot - dt.timedelta(minutes=1))
    await anna.expect_nothing(0.2)
    assert await rounds(bot) == []

    await bot.clock.move_to(slot)
    await anna.expect("Hallo Anna", "1. Austauschrunde", "Frage 1 von 5")
    (opened,) = await rounds(bot)
    assert opened.scheduled_for == slot and opened.opened_by is None
    assert opened.closes_at == slot + dt.timedelta(hours=2)

    await bot.restart()
    await anna.expect_nothing(0.3)
    assert len(await rounds(bot)) == 1
    assert count(anna, "Austauschrunde") == 1
    assert len(await outbox(bot, "checkin:round:")) == 1
    anna.assert_all_read()


async def test_opening_missed_while_down_opens_on_start_once(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    slot = _slot_ahead(bot)
    await bot.restart(checkin_schedule=cron_at(slot), checkin_duration=dt.timedelta(hours=2))
    await bot.stop()  # down before the opening time
    await bot.clock.move_to(slot + dt.timedelta(minutes=5))
    assert await rounds(bot) == []

    await bot.start()
    await anna.expect("1. Austauschrunde", "Frage 1 von 5")
    (opened,) = await rounds(bot)
    assert opened.scheduled_for == slot
    # The round keeps the window the schedule gave it.
    assert opened.closes_at == slot + dt.timedelta(hours=2)

    await bot.restart()
    await anna.expect_nothing(0.3)
    assert len(await rounds(bot)) == 1 and count(anna, "Austauschrunde") == 1
    anna.assert_all_read()


async def test_slot_whose_window_passed_while_down_is_not_opened(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    slot = _slot_ahead(bot)
    await bot.restart(checkin_schedule=cron_at(slot), checkin_duration=dt.timedelta(hours=2))
    await bot.stop()
    await bot.clock.move_to(slot + dt.timedelta(hours=2, seconds=1))
    await bot.start()
    await anna.expect_nothing(0.3)
    assert await rounds(bot) == []


async def test_a_slot_inside_a_manual_round_is_skipped(bot: Harness) -> None:
    kim = bot.world.user("Kim")
    await factories.member(bot, kim, coordinator=True, consented=False, cohort_name=None)
    await kim.send("/round open 3h")
    await kim.expect("Runde 1 ist offen")
    slot = _slot_ahead(bot)
    await bot.restart(checkin_schedule=cron_at(slot))
    await bot.clock.move_to(slot + dt.timedelta(minutes=1))
    await bot.restart()
    assert [r.number for r in await rounds(bot)] == [1]
