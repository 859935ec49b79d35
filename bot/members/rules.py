"""Rules about members: pausing, and who counts as active."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.dates import parse_day
from storage.active_members import is_active_member
from storage.tables import Member

# An open-ended pause is stored as a date far ahead, so "paused_until > now" is the one rule
# every feature checks. Not datetime.max: converting that to a local time zone overflows.
OPEN_ENDED = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)

_FILLER_WORDS = {"bis", "zum", "am", "until", "till", "to"}


class PauseProblem(StrEnum):
    NOT_A_DATE = "not_a_date"
    IN_THE_PAST = "in_the_past"


@dataclass(frozen=True)
class PauseRefused:
    """Why a pause cannot be taken; `day` is the date understood (when one was)."""

    problem: PauseProblem
    day: dt.date | None = None


@dataclass(frozen=True)
class PauseRequest:
    until: dt.datetime  # first moment the member is active again (UTC)
    last_day: dt.date | None  # the last paused day as the member said it; None: open-ended


def parse_pause(
    args: Sequence[str], *, now: dt.datetime, tz: ZoneInfo
) -> PauseRequest | PauseRefused:
    """`/pause`, `/pause bis 31.12.2026`, `/pause until 2026-12-31`: until the end of that day."""
    words = [word for word in args if word.casefold() not in _FILLER_WORDS]
    if not words:
        return PauseRequest(until=OPEN_ENDED, last_day=None)
    today = now.astimezone(tz).date()
    day = parse_day(" ".join(words), today=today) if len(words) == 1 else None
    if day is None or day >= OPEN_ENDED.date():  # 31.12.9999 + 1 day overflows
        return PauseRefused(PauseProblem.NOT_A_DATE)
    if day < today:
        return PauseRefused(PauseProblem.IN_THE_PAST, day)
    resume_at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return PauseRequest(until=resume_at.astimezone(dt.UTC), last_day=day)


def last_paused_day(member: Member, tz: ZoneInfo) -> dt.date | None:
    """The last day of a dated pause as the member would say it; None when open-ended."""
    if member.paused_until is None or member.paused_until >= OPEN_ENDED:
        return None
    return (member.paused_until.astimezone(tz) - dt.timedelta(days=1)).date()


def show_date(day: dt.date, language: str) -> str:
    return format_date(day, format="medium" if language == "de" else "long", locale=language)


def is_paused(member: Member, now: dt.datetime) -> bool:
    return member.paused_until is not None and member.paused_until > now


def is_active(member: Member, now: dt.datetime) -> bool:
    """Gets check-in prompts: consented, reachable and not paused."""
    return is_active_member(member, now)
