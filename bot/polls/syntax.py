"""The one-line `/poll` command: question, options and settings as coordinators type them.

    /poll Welches Thema? | Förderung | Social Media | Eltern  mehrfach bis=3d
    /poll bis=31.12.26 18:00 an=alle
    Welches Thema nehmen wir?
    Förderung
    Social Media

Settings: `key=value` words anywhere (bis=, an=, jahrgang=, ergebnis=); the bare words
`mehrfach` and `anonym` on a line or between bars of their own, before the question or after
the last option (so "Sollen wir anonym bleiben?" keeps its word). English works too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.config import parse_duration
from bot.dates import parse_day
from bot.polls.rules import PollSpec
from bot.ui import Problem
from storage.tables import PollAudience

MULTIPLE_WORDS = frozenset({"mehrfach", "multiple"})
ANONYMOUS_WORDS = frozenset({"anonym", "anonymous"})
CLOSE_KEYS = frozenset({"bis", "until"})
AUDIENCE_KEYS = frozenset({"an", "to"})
COHORT_KEYS = frozenset({"jahrgang", "cohort"})
RESULT_KEYS = frozenset({"ergebnis", "results"})
_KEY_VALUE = re.compile(r"([a-zA-Z]+)=(.*)", re.DOTALL)
_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")
# A day without a time closes at its end.
END_OF_DAY = dt.time(23, 59)


@dataclass
class Settings:
    """What the settings words said; what was not said stays at the default."""

    allows_multiple: bool = False
    anonymous: bool = False
    hide_results: bool = False
    audience: PollAudience = PollAudience.GROUP
    cohort: str | None = None
    closes_at: dt.datetime | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Parsed:
    spec: PollSpec | None  # None when a setting could not be read
    problems: list[Problem]


def parse_command(text: str, *, now: dt.datetime, tz: ZoneInfo) -> Parsed:
    """Read everything after `/poll`; problems name what to fix (limits are checked later)."""
    settings = Settings()
    segments = _segments(text)
    kept: list[str] = []
    for index, segment in enumerate(segments):
        words = _take_key_values(segment.split(), settings, now=now, tz=tz)
        if words and all(word.casefold() in MULTIPLE_WORDS | ANONYMOUS_WORDS for word in words):
            _take_flags(words, settings)
            continue
        if index == 0:
            while words and _is_flag(words[0]):
                _take_flags([words.pop(0)], settings)
        if index == len(segments) - 1:
            while len(words) > 1 and _is_flag(words[-1]):
                _take_flags([words.pop()], settings)
        if words:
            kept.append(" ".join(words))
    if settings.problems:
        return Parsed(None, settings.problems)
    question, options = (kept[0], tuple(kept[1:])) if kept else ("", ())
    spec = PollSpec(
        question=question,
        options=options,
        allows_multiple=settings.allows_multiple,
        anonymous=settings.anonymous,
        hide_results=settings.hide_results,
        audience=settings.audience,
        cohort=settings.cohort,
        closes_at=settings.closes_at,
    )
    return Parsed(spec, [])


def parse_close(value: str, *, now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """`3d`, `12h`, `31.12.2026`, `31.12.26 18:00`, `18:00` (today, or tomorrow once past)."""
    value = value.strip()
    local_now = now.astimezone(tz)
    day_text, _, time_text = value.partition(" ")
    time_match = _TIME.fullmatch(day_text)
    if time_match is not None and not time_text:
        moment = dt.datetime.combine(local_now.date(), _time(time_match), tzinfo=tz)
        return moment if moment > local_now else moment + dt.timedelta(days=1)
    day = parse_day(day_text, today=local_now.date())
    if day is not None:
        if not time_text:
            return dt.datetime.combine(day, END_OF_DAY, tzinfo=tz)
        time_match = _TIME.fullmatch(time_text.strip())
        if time_match is None:
            return None
        return dt.datetime.combine(day, _time(time_match), tzinfo=tz)
    if time_text:
        return None
    try:
        span = parse_duration(value)
    except ValueError:
        return None
    return now + span if span > dt.timedelta(0) else None


def _time(match: re.Match[str]) -> dt.time:
    return dt.time(int(match[1]), int(match[2]))


def _segments(text: str) -> list[str]:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if any("|" in line for line in lines):
        return [part.strip() for line in lines for part in line.split("|") if part.strip()]
    return lines


def _is_flag(word: str) -> bool:
    return word.casefold() in MULTIPLE_WORDS | ANONYMOUS_WORDS


def _take_flags(words: list[str], settings: Settings) -> None:
    for word in words:
        if word.casefold() in MULTIPLE_WORDS:
            settings.allows_multiple = True
        else:
            settings.anonymous = True


def _take_key_values(
    words: list[str], settings: Settings, *, now: dt.datetime, tz: ZoneInfo
) -> list[str]:
    """Apply every known `key=value` word and return the other words."""
    rest: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        match = _KEY_VALUE.fullmatch(word)
        key = match[1].casefold() if match else ""
        if match is None or key not in CLOSE_KEYS | AUDIENCE_KEYS | COHORT_KEYS | RESULT_KEYS:
            rest.append(word)
            continue
        value = match[2]
        if key in CLOSE_KEYS:
            # "bis=31.12.2026 18:00": the time is the next word
            if (
                index < len(words)
                and _TIME.fullmatch(words[index])
                and parse_day(value, today=now.astimezone(tz).date())
            ):
                value = f"{value} {words[index]}"
                index += 1
            closes_at = parse_close(value, now=now, tz=tz)
            if closes_at is None:
                settings.problems.append(Problem("polls.problem.bad_close", {"given": value}))
            settings.closes_at = closes_at
        elif key in AUDIENCE_KEYS:
            audience = {
                "alle": PollAudience.ALL,
                "all": PollAudience.ALL,
                "gruppe": PollAudience.GROUP,
                "group": PollAudience.GROUP,
            }.get(value.casefold())
            if audience is None:
                settings.problems.append(Problem("polls.problem.bad_audience", {"given": value}))
            else:
                settings.audience = audience
        elif key in COHORT_KEYS:
            if not value.strip():
                settings.problems.append(Problem("polls.problem.bad_cohort", {"given": value}))
            settings.audience, settings.cohort = PollAudience.COHORT, value.strip()
        else:
            hidden = {"verborgen": True, "hidden": True, "sichtbar": False, "visible": False}
            if value.casefold() not in hidden:
                settings.problems.append(Problem("polls.problem.bad_results", {"given": value}))
            else:
                settings.hide_results = hidden[value.casefold()]
    return rest
