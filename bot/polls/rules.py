"""What makes a poll acceptable: Telegram's limits (Bot API 10), checked before anything is
sent, so a coordinator hears what to fix instead of getting a refused request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.paging import utf16_length
from bot.ui import Problem
from storage.tables import PollAudience

QUESTION_MAX = 300
OPTION_MAX = 100
OPTIONS_MIN, OPTIONS_MAX = 2, 12
# Telegram closes a poll by itself (`close_date`) only within this window from now; the bot
# closes polls that run longer itself, up to CLOSE_MAX.
TELEGRAM_CLOSE_MIN = dt.timedelta(seconds=5)
TELEGRAM_CLOSE_MAX = dt.timedelta(seconds=2_628_000)
CLOSE_MIN = TELEGRAM_CLOSE_MIN
CLOSE_MAX = dt.timedelta(days=365)


@dataclass(frozen=True)
class PollSpec:
    """A poll as a coordinator asked for it, before it exists."""

    question: str
    options: tuple[str, ...]
    allows_multiple: bool = False
    anonymous: bool = False
    hide_results: bool = False
    audience: PollAudience = PollAudience.GROUP
    cohort: str | None = None  # as typed; resolved against the stored cohorts
    closes_at: dt.datetime | None = None


def problems_of(spec: PollSpec, *, now: dt.datetime) -> list[Problem]:
    """Everything Telegram (or the bot) would refuse, in the order a person fixes it."""
    found: list[Problem] = []
    question_length = utf16_length(spec.question)
    if question_length == 0:
        found.append(Problem("polls.problem.no_question"))
    elif question_length > QUESTION_MAX:
        found.append(
            Problem(
                "polls.problem.question_too_long",
                {"length": question_length, "limit": QUESTION_MAX},
            )
        )
    if len(spec.options) < OPTIONS_MIN:
        found.append(
            Problem(
                "polls.problem.too_few_options",
                {"count": len(spec.options), "minimum": OPTIONS_MIN},
            )
        )
    if len(spec.options) > OPTIONS_MAX:
        found.append(
            Problem(
                "polls.problem.too_many_options", {"count": len(spec.options), "limit": OPTIONS_MAX}
            )
        )
    seen: set[str] = set()
    for number, option in enumerate(spec.options, start=1):
        if utf16_length(option) > OPTION_MAX:
            found.append(
                Problem(
                    "polls.problem.option_too_long",
                    {
                        "number": number,
                        "option": option,
                        "limit": OPTION_MAX,
                        "length": utf16_length(option),
                    },
                )
            )
        folded = option.casefold()
        if folded in seen:
            found.append(Problem("polls.problem.duplicate_option", {"option": option}))
        seen.add(folded)
    if spec.closes_at is not None:
        ahead = spec.closes_at - now
        if ahead < CLOSE_MIN:
            found.append(Problem("polls.problem.close_in_past"))
        elif ahead > CLOSE_MAX:
            found.append(Problem("polls.problem.close_too_far", {"days": CLOSE_MAX.days}))
    return found


def telegram_close_date(closes_at: dt.datetime | None, *, now: dt.datetime) -> int | None:
    """`close_date` for sendPoll when Telegram can close the poll by itself, else None."""
    if closes_at is None:
        return None
    ahead = closes_at - now
    if TELEGRAM_CLOSE_MIN <= ahead <= TELEGRAM_CLOSE_MAX:
        return int(closes_at.timestamp())
    return None


def reminder_time(
    *,
    created_at: dt.datetime,
    closes_at: dt.datetime | None,
    share: float | None,
    before: dt.timedelta | None,
) -> dt.datetime | None:
    """When non-voters are reminded: a share of the running time, or a span before the close."""
    if closes_at is None:
        return None
    if before is not None:
        moment = closes_at - before
    elif share is not None:
        moment = created_at + (closes_at - created_at) * share
    else:
        return None
    return moment if created_at < moment < closes_at else None
