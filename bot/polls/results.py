"""Counting a poll over all its native copies, and saying the result."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.polls.chart import bar_chart
from storage import polls as store
from storage.tables import Member, Poll

BAR_WIDTH = 10


@dataclass(frozen=True)
class Tally:
    counts: list[int]  # per option
    voters: int
    # Non-anonymous polls: who chose each option (members by name), guests counted per option.
    names: list[list[str]]
    guests: int


async def tally(session: AsyncSession, *, poll: Poll) -> Tally:
    assert poll.id is not None
    size = len(poll.options)
    if poll.anonymous:
        counts, voters = [0] * size, 0
        for copy in await store.copies_of(session, poll_id=poll.id):
            for index, count in enumerate(copy.option_counts[:size]):
                counts[index] += count
            voters += copy.voter_count
        return Tally(counts, voters, [[] for _ in range(size)], 0)
    counts = [0] * size
    names: list[list[str]] = [[] for _ in range(size)]
    guests = 0
    votes = await store.votes_of(session, poll_id=poll.id)
    for vote, member in votes:
        for index in vote.option_ids:
            if 0 <= index < size:
                counts[index] += 1
                if member is not None:
                    names[index].append(_name(member))
        if member is None:
            guests += 1
    return Tally(counts, len(votes), names, guests)


def _name(member: Member) -> str:
    return member.display_name or member.username or f"#{member.id}"


def render(
    poll: Poll,
    result: Tally,
    translate: Translator,
    language: str,
    *,
    final: bool,
    with_names: bool,
) -> Markup:
    """The result as text: a line per option with a bar, the count and the share."""
    lines = [
        translate(
            language,
            "polls.result.heading_final" if final else "polls.result.heading",
            number=poll.id,
            question=poll.question,
        )
    ]
    most = max(result.counts, default=0)
    for index, option in enumerate(poll.options):
        count = result.counts[index]
        share = round(100 * count / result.voters) if result.voters else 0
        filled = round(BAR_WIDTH * count / most) if most else 0
        lines.append(
            translate(
                language,
                "polls.result.line",
                bar="▓" * filled + "░" * (BAR_WIDTH - filled),
                label=option,
                count=count,
                share=share,
            )
        )
        if with_names and result.names[index]:
            lines.append(
                translate(language, "polls.result.names", names=", ".join(result.names[index]))
            )
    lines.append(translate(language, "polls.result.voters", count=result.voters))
    if with_names and result.guests:
        lines.append(translate(language, "polls.result.guests", count=result.guests))
    if poll.allows_multiple:
        lines.append(translate(language, "polls.result.multiple"))
    if poll.anonymous:
        lines.append(translate(language, "polls.result.anonymous"))
    return Markup("\n").join(lines)


async def chart_png(poll: Poll, result: Tally, translate: Translator, language: str) -> bytes:
    caption = str(translate(language, "polls.chart.caption", count=result.voters))
    # Drawing takes a tenth of a second of CPU: off the event loop.
    return await asyncio.to_thread(
        bar_chart, title=poll.question, labels=poll.options, counts=result.counts, caption=caption
    )
