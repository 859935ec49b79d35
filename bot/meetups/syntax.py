"""`/meetup neu` in one message: `15.09.2027 18:00 | Hamburg, Ort | Alumni-Treffen [| Text]`.

Options anywhere after the fields: `bis=21:00`, `plätze=40`, `jahrgang=2023`. A time range
`18:00-21:00` sets the end as well. Times are local (the bot's time zone).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.dates import parse_day
from bot.meetups.rules import MeetupSpec
from bot.ui import Problem

_OPTION = re.compile(
    r"(?:^|\s)(bis|ende|end|plätze|plaetze|platz|kapazität|capacity|jahrgang|cohort)="
    r"(\"[^\"]*\"|\S+)",
    re.IGNORECASE,
)
_OPTION_NAMES = {
    "bis": "end",
    "ende": "end",
    "end": "end",
    "plätze": "capacity",
    "plaetze": "capacity",
    "platz": "capacity",
    "kapazität": "capacity",
    "capacity": "capacity",
    "jahrgang": "cohort",
    "cohort": "cohort",
}
_TIME = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?(?:\s*uhr)?", re.IGNORECASE)
_WHEN = re.compile(r"(\S+)\s+(.+?)(?:\s*[-–]\s*(.+))?")
KEEP = ""  # an empty field in `/meetup ändern` keeps what was there


@dataclass
class Parsed:
    """The fields as typed; `None` where a field was left empty (only `ändern` allows that)."""

    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    place: str | None = None
    title: str | None = None
    description: str | None = None
    capacity: int | None = None
    capacity_given: bool = False
    end_time: dt.time | None = None  # `bis=` or a range: applies to whatever day it starts
    cohort: str | None = None
    problems: list[Problem] = field(default_factory=list)


def parse_time(text: str) -> dt.time | None:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _local(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC)


def parse_when(
    text: str, *, today: dt.date, tz: ZoneInfo
) -> tuple[dt.datetime, dt.datetime | None] | Problem:
    match = _WHEN.fullmatch(text.strip())
    if match is None:
        return Problem("meetups.problem.bad_when", {"given": text.strip()})
    day = parse_day(match[1], today=today)
    start = parse_time(match[2])
    end = parse_time(match[3]) if match[3] else None
    if day is None or start is None or (match[3] and end is None):
        return Problem("meetups.problem.bad_when", {"given": text.strip()})
    starts_at = _local(day, start, tz)
    return starts_at, _local(day, end, tz) if end is not None else None


def parse_meetup(text: str, *, now: dt.datetime, tz: ZoneInfo, partial: bool = False) -> Parsed:
    """Read the fields; `partial` (for `ändern`) lets any field stay empty."""
    parsed = Parsed()
    options: dict[str, str] = {}

    def take_option(match: re.Match[str]) -> str:
        options[_OPTION_NAMES[match[1].casefold()]] = match[2].strip('"')
        return " "

    rest = _OPTION.sub(take_option, text)
    fields = [part.strip() for part in rest.split("|")]
    if not partial and (len(fields) < 3 or not all(fields[:3])):
        parsed.problems.append(Problem("meetups.problem.fields"))
        return parsed
    fields += [KEEP] * (4 - len(fields))
    when, place, title = fields[0], fields[1], fields[2]
    description = " | ".join(fields[3:]).strip()
    local_now = now.astimezone(tz)
    if when:
        found = parse_when(when, today=local_now.date(), tz=tz)
        if isinstance(found, Problem):
            parsed.problems.append(found)
        else:
            parsed.starts_at, parsed.ends_at = found
            if parsed.ends_at is not None:
                parsed.end_time = parsed.ends_at.astimezone(tz).time()
    parsed.place = place or None
    parsed.title = title or None
    parsed.description = description or None
    if "end" in options:
        end_time = parse_time(options["end"])
        if end_time is None:
            parsed.problems.append(Problem("meetups.problem.bad_end", {"given": options["end"]}))
        else:
            parsed.end_time = end_time
            if parsed.starts_at is not None:
                parsed.ends_at = end_on_day_of(parsed.starts_at, end_time, tz)
    if "capacity" in options:
        value = options["capacity"].casefold()
        parsed.capacity_given = True
        if value in {"0", "-", "aus", "off", "unbegrenzt", "none"}:
            parsed.capacity = None
        elif value.isdigit():
            parsed.capacity = int(value)
        else:
            parsed.problems.append(
                Problem("meetups.problem.bad_capacity", {"given": options["capacity"]})
            )
    if "cohort" in options:
        parsed.cohort = options["cohort"]
    return parsed


def end_on_day_of(start: dt.datetime, end_time: dt.time, tz: ZoneInfo) -> dt.datetime:
    return _local(start.astimezone(tz).date(), end_time, tz)


def spec_of(parsed: Parsed) -> MeetupSpec:
    """A complete `Parsed` (no problems, every field there) as a spec."""
    assert parsed.starts_at and parsed.place and parsed.title
    return MeetupSpec(
        starts_at=parsed.starts_at,
        ends_at=parsed.ends_at,
        place=parsed.place,
        title=parsed.title,
        description=parsed.description,
        capacity=parsed.capacity,
        cohort=parsed.cohort,
    )
