"""The schedule and the reminder stages: pure time arithmetic."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.config import SettingsError, load_settings
from bot.rounds.schedule import (
    Anchor,
    CheckinSchedule,
    missed_opening,
    parse_reminders,
    reminder_times,
)

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT = CheckinSchedule.parse("0 10 1-7 */2 mon")


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN).astimezone(dt.UTC)


def test_default_is_the_first_monday_of_every_second_month() -> None:
    moment = berlin(2026, 11, 24, 12)
    openings = []
    for _ in range(4):
        moment = DEFAULT.next_after(moment, BERLIN)
        openings.append(moment)
    assert openings == [
        berlin(2027, 1, 4, 10),
        berlin(2027, 3, 1, 10),
        berlin(2027, 5, 3, 10),
        berlin(2027, 7, 5, 10),
    ]
    # 10:00 local across DST: 09:00 UTC in winter, 08:00 UTC in summer.
    assert openings[0].hour == 9 and openings[2].hour == 8


def test_latest_until_includes_the_exact_moment() -> None:
    slot = berlin(2027, 1, 4, 10)
    assert DEFAULT.latest_until(slot, BERLIN) == slot
    assert DEFAULT.latest_until(slot - dt.timedelta(seconds=1), BERLIN) == berlin(2026, 11, 2, 10)


def test_six_fields_give_seconds() -> None:
    schedule = CheckinSchedule.parse("30 10 4 1 * 15")
    assert schedule.next_after(berlin(2027, 1, 4, 10), BERLIN) == berlin(2027, 1, 4, 10, 30, 15)


@pytest.mark.parametrize("bad", ["", "every monday", "0 10 * *", "61 10 * * *", "0 10 1-7 */2 xyz"])
def test_invalid_cron_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="cron expression"):
        CheckinSchedule.parse(bad)


def _missed(now: dt.datetime, **changes: object) -> dt.datetime | None:
    values: dict[str, object] = {
        "schedule": DEFAULT,
        "tz": BERLIN,
        "now": now,
        "duration": dt.timedelta(days=14),
        "since": berlin(2026, 1, 1),
        "last_round_end": None,
        "round_open": False,
    }
    values.update(changes)
    return missed_opening(**values)  # type: ignore[arg-type]


def test_missed_opening_rules() -> None:
    slot = berlin(2027, 1, 4, 10)
    assert _missed(slot + dt.timedelta(days=2)) == slot
    assert _missed(slot + dt.timedelta(days=14)) is None  # its window is over
    assert _missed(slot + dt.timedelta(days=2), round_open=True) is None
    # A fresh install does not open a round for a slot from before it existed.
    assert _missed(slot + dt.timedelta(days=2), since=slot + dt.timedelta(days=1)) is None
    # A slot that fell inside the previous round is skipped, not replayed.
    assert _missed(slot + dt.timedelta(days=2), last_round_end=slot + dt.timedelta(hours=1)) is None
    assert _missed(slot + dt.timedelta(days=2), last_round_end=slot - dt.timedelta(days=40)) == slot


def test_reminder_stages() -> None:
    stages = parse_reminders("open+5d, close-2d")
    assert [(s.number, s.anchor, s.offset) for s in stages] == [
        (1, Anchor.OPEN, dt.timedelta(days=5)),
        (2, Anchor.CLOSE, dt.timedelta(days=-2)),
    ]
    opened = berlin(2027, 1, 4, 10)
    times = reminder_times(stages, opened_at=opened, closes_at=opened + dt.timedelta(days=14))
    assert [due for _, due in times] == [berlin(2027, 1, 9, 10), berlin(2027, 1, 16, 10)]
    # In a three-day round "open+5d" would come after the close: only "close-2d" remains.
    short = reminder_times(stages, opened_at=opened, closes_at=opened + dt.timedelta(days=3))
    assert [(stage.number, due) for stage, due in short] == [(2, berlin(2027, 1, 5, 10))]
    assert parse_reminders("") == ()


@pytest.mark.parametrize("bad", ["open", "open+", "middle+5d", "open*5d", "open+5 Tage"])
def test_invalid_reminders_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="open\\+DURATION or close-DURATION"):
        parse_reminders(bad)


def test_settings_report_bad_schedule_and_reminders_in_one_line() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(_env_file=None, checkin_schedule="jeden Montag", checkin_reminders="bald")
    message = str(error.value)
    assert "\n" not in message
    assert "CHECKIN_SCHEDULE: expected a cron expression" in message
    assert "CHECKIN_REMINDERS: stage 'bald'" in message
    assert load_settings(_env_file=None, checkin_schedule="").checkin_schedule == ""
