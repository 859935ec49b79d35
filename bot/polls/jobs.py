"""What the scheduler must do for polls: catch up after a restart, then what comes next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.polls import closing, reminders
from bot.services import Services
from storage import polls as store


@dataclass(frozen=True)
class Upcoming:
    closes: list[tuple[int, dt.datetime]]
    reminders: list[tuple[int, dt.datetime]]


async def catch_up(services: Services) -> None:
    """Close what is overdue, post held-back results, send reminders that fell due."""
    await closing.catch_up(services)
    async with services.db.session() as session:
        due = [poll.id for poll in await store.reminders_due(session, now=services.clock.now())]
    for poll_id in due:
        if poll_id is not None:
            await reminders.remind_non_voters(services, poll_id=poll_id)


async def upcoming(services: Services) -> Upcoming:
    async with services.db.session() as session:
        polls = await store.open_polls(session)
    return Upcoming(
        closes=[(p.id, p.closes_at) for p in polls if p.id is not None and p.closes_at],
        reminders=[
            (p.id, p.remind_at)
            for p in polls
            if p.id is not None and p.remind_at is not None and p.reminded_at is None
        ],
    )
