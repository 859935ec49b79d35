"""The `/broadcast` command as coordinators type it.

    /broadcast jahrgang=2023 region=Nordhessen zeit=31.12.2026 18:00 Liebe Alumni, ...

Settings are `key=value` words before the text (so the text itself may contain "=");
everything after them is the text, the coordinator's line breaks kept. English keys work too
(`cohort=`, `region=`, `at=`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.config import parse_duration
from bot.dates import parse_day
from bot.paging import utf16_length
from bot.ui import Problem

MESSAGE_MAX = 4096  # Telegram's limit, counted as Telegram does (the visible text, UTF-16)
COHORT_KEYS = frozenset({"jahrgang", "cohort"})
REGION_KEYS = frozenset({"region"})
TIME_KEYS = frozenset({"zeit", "at", "time"})
HELP_WORDS = frozenset({"hilfe", "help", "?"})
_SETTING = re.compile(r"\s*([a-zA-Z]+)=(\S*)")
_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")
_NEXT_WORD = re.compile(r"[ \t]+(\S+)")


@dataclass(frozen=True)
class BroadcastSpec:
    text: str
    cohort: str | None = None
    region: str | None = None
    send_at: dt.datetime | None = None


@dataclass(frozen=True)
class Parsed:
    spec: BroadcastSpec | None  # None when something must be fixed first
    problems: list[Problem]


def parse_command(text: str, *, now: dt.datetime, tz: ZoneInfo) -> Parsed:
    """Read everything after `/broadcast`; problems say what to fix."""
    problems: list[Problem] = []
    cohort: str | None = None
    region: str | None = None
    send_at: dt.datetime | None = None
    rest = text
    while (match := _SETTING.match(rest)) is not None:
        key, value = match[1].casefold(), match[2]
        if key not in COHORT_KEYS | REGION_KEYS | TIME_KEYS:
            break
        rest = rest[match.end() :]
        if not value:
            problems.append(Problem("broadcasts.problem.empty_setting", {"key": match[1]}))
        elif key in COHORT_KEYS:
            cohort = value
        elif key in REGION_KEYS:
            region = value
        else:
            # "zeit=31.12.2026 18:00": the time of day is the next word
            following = _NEXT_WORD.match(rest)
            if (
                following is not None
                and _TIME.fullmatch(following[1])
                and parse_day(value, today=now.astimezone(tz).date()) is not None
            ):
                value = f"{value} {following[1]}"
                rest = rest[following.end() :]
            send_at = parse_moment(value, now=now, tz=tz)
            if send_at is None:
                problems.append(Problem("broadcasts.problem.bad_time", {"given": value}))
            elif send_at <= now:
                problems.append(Problem("broadcasts.problem.past_time", {"given": value}))
    body = _body(rest)
    if not body:
        problems.append(Problem("broadcasts.problem.no_text"))
    elif utf16_length(body) > MESSAGE_MAX:
        problems.append(
            Problem(
                "broadcasts.problem.too_long",
                {"length": utf16_length(body), "limit": MESSAGE_MAX},
            )
        )
    if problems:
        return Parsed(None, problems)
    return Parsed(BroadcastSpec(body, cohort, region, send_at), [])


def is_help(text: str) -> bool:
    """`/broadcast` alone or `/broadcast hilfe`."""
    return not text.strip() or text.strip().casefold() in HELP_WORDS


def parse_moment(value: str, *, now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """`31.12.2026 18:00`, `31.12. 18:00`, `2026-12-31 18:00`, `18:00` (today, or tomorrow once
    it has passed) or a span from now (`2h`, `1d`). A day needs its time of day: a broadcast
    has no natural "end of the day" to fall back on."""
    local_now = now.astimezone(tz)
    day_text, _, time_text = value.strip().partition(" ")
    time_match = _TIME.fullmatch(day_text)
    if time_match is not None and not time_text:
        moment = dt.datetime.combine(local_now.date(), _time(time_match), tzinfo=tz)
        if moment <= local_now:
            moment = dt.datetime.combine(
                local_now.date() + dt.timedelta(days=1), _time(time_match), tzinfo=tz
            )
        return moment.astimezone(dt.UTC)
    day = parse_day(day_text, today=local_now.date())
    if day is not None:
        time_match = _TIME.fullmatch(time_text.strip())
        if time_match is None:
            return None
        return dt.datetime.combine(day, _time(time_match), tzinfo=tz).astimezone(dt.UTC)
    if time_text or not any(char.isalpha() for char in value):
        return None  # a bare number is no moment
    try:
        span = parse_duration(value)
    except ValueError:
        return None
    return now + span if span > dt.timedelta(0) else None


def _time(match: re.Match[str]) -> dt.time:
    return dt.time(int(match[1]), int(match[2]))


def _body(rest: str) -> str:
    """The text: surrounding blank space trimmed, the line breaks inside kept."""
    lines = rest.strip().splitlines()
    return "\n".join(line.rstrip() for line in lines).strip()
