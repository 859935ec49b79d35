"""When rounds open and when reminders are due: pure time arithmetic, no Telegram, no database.

The cron expression is read in the configured time zone with croniter's `day_or=False`, so the
default `0 10 1-7 */2 mon` means "10:00 on the first Monday of every second month" (with the
classic cron OR semantics it would mean "days 1-7 *or* any Monday"). A sixth field gives seconds,
which lets tests and the demo schedule a round a few seconds ahead.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from croniter import croniter
from pytimeparse.timeparse import timeparse


@dataclass(frozen=True)
class CheckinSchedule:
    expression: str

    @classmethod
    def parse(cls, expression: str) -> CheckinSchedule:
        """Validate a cron expression (5 fields, or 6 with seconds last)."""
        expression = " ".join(expression.split())
        if len(expression.split(" ")) not in (5, 6) or not croniter.is_valid(expression):
            raise ValueError(
                "expected a cron expression such as '0 10 1-7 */2 mon' "
                "(minute hour day month weekday)"
            )
        return cls(expression)

    def _iter(self, moment: dt.datetime, tz: ZoneInfo) -> croniter:
        return croniter(self.expression, moment.astimezone(tz), day_or=False)

    def next_after(self, moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        """The first opening strictly after `moment` (aware UTC)."""
        value: dt.datetime = self._iter(moment, tz).get_next(dt.datetime)
        return value.astimezone(dt.UTC)

    def latest_until(self, moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        """The last opening at or before `moment` (aware UTC)."""
        # croniter's get_prev is strict; nudge forward so an opening exactly at `moment` counts.
        value: dt.datetime = self._iter(moment + dt.timedelta(microseconds=1), tz).get_prev(
            dt.datetime
        )
        return value.astimezone(dt.UTC)


def missed_opening(
    *,
    schedule: CheckinSchedule,
    tz: ZoneInfo,
    now: dt.datetime,
    duration: dt.timedelta,
    since: dt.datetime,
    last_round_end: dt.datetime | None,
    round_open: bool,
) -> dt.datetime | None:
    """The scheduled opening that should be opened now because the bot missed it, if any.

    It must lie after `since` (when this database first ran the schedule, so a fresh install does
    not open a round for a slot from before it existed), after the previous round ended (a slot
    that fell inside a running round is skipped, not replayed), and its window must still be
    running.
    """
    if round_open:
        return None
    slot = schedule.latest_until(now, tz)
    if slot < since or slot + duration <= now:
        return None
    if last_round_end is not None and slot < last_round_end:
        return None
    return slot


class Anchor(StrEnum):
    OPEN = "open"
    CLOSE = "close"


_STAGE = re.compile(r"^(open|close)\s*([+-])\s*(\S+)$")


@dataclass(frozen=True)
class ReminderStage:
    """One reminder, e.g. `open+5d` (five days after opening) or `close-2d`."""

    number: int  # 1-based position in the setting; part of the at-most-once key
    anchor: Anchor
    offset: dt.timedelta

    def due(self, *, opened_at: dt.datetime, closes_at: dt.datetime) -> dt.datetime:
        return (opened_at if self.anchor is Anchor.OPEN else closes_at) + self.offset

    def __str__(self) -> str:
        sign = "-" if self.offset < dt.timedelta(0) else "+"
        return f"{self.anchor.value}{sign}{abs(self.offset)}"


def parse_reminders(value: str) -> tuple[ReminderStage, ...]:
    """`open+5d,close-2d` → two stages; empty → no reminders."""
    stages: list[ReminderStage] = []
    for number, part in enumerate((p.strip() for p in value.split(",") if p.strip()), 1):
        match = _STAGE.match(part.lower())
        seconds = timeparse(match.group(3)) if match else None
        if match is None or seconds is None:
            raise ValueError(
                f"stage {part!r}: expected open+DURATION or close-DURATION, e.g. open+5d,close-2d"
            )
        sign = -1 if match.group(2) == "-" else 1
        stages.append(
            ReminderStage(number, Anchor(match.group(1)), dt.timedelta(seconds=sign * seconds))
        )
    return tuple(stages)


def reminder_times(
    stages: tuple[ReminderStage, ...], *, opened_at: dt.datetime, closes_at: dt.datetime
) -> list[tuple[ReminderStage, dt.datetime]]:
    """Stages that fall inside the round, with their due times (a reminder after close is
    pointless, one before opening impossible)."""
    result = []
    for stage in stages:
        due = stage.due(opened_at=opened_at, closes_at=closes_at)
        if opened_at <= due < closes_at:
            result.append((stage, due))
    return result
