"""What a meetup must be, how an RSVP changes the list, and when its timed stages run.

Pure functions: no database, no Telegram. The use cases around them own the transactions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.ui import Problem
from storage.tables import RsvpStatus

TITLE_MAX = 120
PLACE_MAX = 200
DESCRIPTION_MAX = 1500
CAPACITY_MAX = 10_000


@dataclass(frozen=True)
class MeetupSpec:
    """A meetup as a coordinator described it (checked with `problems_of`)."""

    starts_at: dt.datetime
    place: str
    title: str
    description: str | None = None
    ends_at: dt.datetime | None = None
    capacity: int | None = None
    cohort: str | None = None  # a cohort's name as typed; None: every active member


def problems_of(spec: MeetupSpec, *, now: dt.datetime) -> list[Problem]:
    problems: list[Problem] = []
    if spec.starts_at <= now:
        problems.append(Problem("meetups.problem.in_past"))
    if spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        problems.append(Problem("meetups.problem.end_before_start"))
    if not spec.title.strip():
        problems.append(Problem("meetups.problem.no_title"))
    if len(spec.title) > TITLE_MAX:
        problems.append(Problem("meetups.problem.title_long", {"limit": TITLE_MAX}))
    if not spec.place.strip():
        problems.append(Problem("meetups.problem.no_place"))
    if len(spec.place) > PLACE_MAX:
        problems.append(Problem("meetups.problem.place_long", {"limit": PLACE_MAX}))
    if spec.description is not None and len(spec.description) > DESCRIPTION_MAX:
        problems.append(Problem("meetups.problem.description_long", {"limit": DESCRIPTION_MAX}))
    if spec.capacity is not None and not 1 <= spec.capacity <= CAPACITY_MAX:
        problems.append(Problem("meetups.problem.capacity", {"limit": CAPACITY_MAX}))
    return problems


# ------------------------------------------------------------------------------ RSVPs


@dataclass(frozen=True)
class RsvpEntry:
    member_id: int
    status: RsvpStatus
    waiting_since: dt.datetime | None = None


@dataclass(frozen=True)
class RsvpChange:
    """What one answer does: the presser's new status, and who moves up from the waiting list."""

    status: RsvpStatus
    moved_up: int | None = None  # a member id
    changed: bool = True


def apply_rsvp(
    entries: Sequence[RsvpEntry], *, member_id: int, choice: RsvpStatus, capacity: int | None
) -> RsvpChange:
    """A "yes" beyond the capacity waits; a "yes" given up lets the first waiting one in."""
    current = next((entry for entry in entries if entry.member_id == member_id), None)
    before = current.status if current else None
    if choice == RsvpStatus.YES and before in (RsvpStatus.YES, RsvpStatus.WAITING):
        return RsvpChange(before, changed=False)
    if choice == before:
        return RsvpChange(choice, changed=False)
    if choice == RsvpStatus.YES:
        taken = sum(1 for entry in entries if entry.status == RsvpStatus.YES)
        full = capacity is not None and taken >= capacity
        return RsvpChange(RsvpStatus.WAITING if full else RsvpStatus.YES)
    moved_up = None
    if before == RsvpStatus.YES:
        moved_up = first_waiting(entries)
    return RsvpChange(choice, moved_up=moved_up)


def _waiting_in_order(entries: Sequence[RsvpEntry]) -> list[RsvpEntry]:
    """The waiting list, first come first served."""
    waiting = [entry for entry in entries if entry.status == RsvpStatus.WAITING]
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(waiting, key=lambda entry: (entry.waiting_since or earliest, entry.member_id))


def first_waiting(entries: Sequence[RsvpEntry]) -> int | None:
    waiting = _waiting_in_order(entries)
    return waiting[0].member_id if waiting else None


def moving_up_after_capacity_change(
    entries: Sequence[RsvpEntry], *, capacity: int | None
) -> list[int]:
    """Who gets a place when a meetup grows (or loses its limit), in waiting-list order."""
    taken = sum(1 for entry in entries if entry.status == RsvpStatus.YES)
    waiting = _waiting_in_order(entries)
    free = len(waiting) if capacity is None else max(0, capacity - taken)
    return [entry.member_id for entry in waiting[:free]]


@dataclass(frozen=True)
class Counts:
    yes: int = 0
    maybe: int = 0
    no: int = 0
    waiting: int = 0


def counts_of(statuses: Sequence[str]) -> Counts:
    return Counts(
        yes=statuses.count(RsvpStatus.YES),
        maybe=statuses.count(RsvpStatus.MAYBE),
        no=statuses.count(RsvpStatus.NO),
        waiting=statuses.count(RsvpStatus.WAITING),
    )


# ------------------------------------------------------------------------------ timed stages


class StageKind(StrEnum):
    REMINDER = "remind"
    PREREAD = "preread"
    FOLLOWUP = "followup"


@dataclass(frozen=True)
class Stage:
    """A timed step; `name` is stored (unique per meetup), so it must stay stable."""

    name: str
    kind: StageKind
    due_at: dt.datetime


def reminder_stage_name(offset: dt.timedelta) -> str:
    return f"{StageKind.REMINDER.value}-{int(offset.total_seconds())}s"


FOLLOWUP_HOUR = dt.time(10)  # the follow-up comes in the morning, not at the meetup's hour


def stages_of(
    *,
    tz: ZoneInfo,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None,
    reminders: Sequence[dt.timedelta],
    preread: dt.timedelta | None,
    followup: dt.timedelta | None,
) -> list[Stage]:
    """Every timed step of a meetup, in time order."""
    stages: list[Stage] = []
    for offset in sorted(set(reminders), reverse=True):
        stages.append(Stage(reminder_stage_name(offset), StageKind.REMINDER, starts_at - offset))
    if preread is not None:
        stages.append(Stage(StageKind.PREREAD.value, StageKind.PREREAD, starts_at - preread))
    if followup is not None:
        end = ends_at or starts_at
        due = end + followup
        if followup >= dt.timedelta(days=1):  # "the day after": at 10:00 that day
            day = end.astimezone(tz).date() + dt.timedelta(days=followup.days)
            due = dt.datetime.combine(day, FOLLOWUP_HOUR, tzinfo=tz).astimezone(dt.UTC)
        stages.append(Stage(StageKind.FOLLOWUP.value, StageKind.FOLLOWUP, due))
    stages.sort(key=lambda stage: stage.due_at)
    return stages


# A follow-up that could not go out on time still makes sense for a couple of days.
FOLLOWUP_LATE_LIMIT = dt.timedelta(days=2)


@dataclass(frozen=True)
class StageDecision:
    run: list[Stage]
    skip: list[Stage]


def due_stages(
    stages: Sequence[Stage], *, done: set[str], starts_at: dt.datetime, now: dt.datetime
) -> StageDecision:
    """What to do now with stages that fell due: run or skip (each is decided once).

    A reminder or the pre-read is sent late only if the meetup is still ahead and the next
    stage before it (a reminder or the pre-read) is not due yet, else that one says it all;
    a follow-up within two days.
    """
    pending = [stage for stage in stages if stage.name not in done and stage.due_at <= now]
    run: list[Stage] = []
    skip: list[Stage] = []
    before_start = [stage for stage in stages if stage.kind != StageKind.FOLLOWUP]
    for stage in pending:
        if stage.kind == StageKind.FOLLOWUP:
            (run if now - stage.due_at <= FOLLOWUP_LATE_LIMIT else skip).append(stage)
            continue
        later = [r for r in before_start if r.due_at > stage.due_at]
        next_due = min((r.due_at for r in later), default=None)
        still_useful = starts_at > now and (next_due is None or next_due > now)
        (run if still_useful else skip).append(stage)
    return StageDecision(run, skip)


def next_stage_time(
    stages: Sequence[Stage], *, done: set[str], now: dt.datetime
) -> dt.datetime | None:
    upcoming = [stage.due_at for stage in stages if stage.name not in done and stage.due_at > now]
    return min(upcoming, default=None)
