"""What the timed jobs do: catch up after a start, open, remind and close on time.

Each is a use case with its own transaction; arming the jobs is the Telegram adapter's part
(`handlers.rounds`), which asks `upcoming` what to wait for.
"""

from __future__ import annotations

import datetime as dt

from bot.checkin.timing import is_open
from bot.rounds import lifecycle
from bot.rounds.lifecycle import Plan
from bot.services import Services
from storage import rounds as store
from storage.tables import Round, RoundStatus


async def catch_up(services: Services) -> None:
    """Do what fell due while the bot was down (see `lifecycle.catch_up`)."""
    async with services.db.write() as session:
        changed = await lifecycle.catch_up(session, services=services, now=services.clock.now())
        await session.commit()
    if changed:
        services.outbox.wake()


async def upcoming(services: Services) -> Plan:
    """What the job queue has to wait for now."""
    async with services.db.session() as session:
        return await lifecycle.plan(session, services=services, now=services.clock.now())


async def open_scheduled(services: Services, *, slot: dt.datetime) -> Round | None:
    """The schedule's opening time has come: open the round for the window the slot gives it."""
    duration = services.settings.checkin_duration
    async with services.db.write() as session:
        opened = await lifecycle.open_round(
            session,
            services=services,
            now=services.clock.now(),
            duration=duration,
            scheduled_for=slot,
            closes_at=slot + duration,
        )
        await session.commit()
    if opened is not None:
        services.outbox.wake()
    return opened


async def close_due(services: Services, *, round_id: int) -> None:
    """The round's time is up: close it unless that happened already."""
    async with services.db.write() as session:
        round_ = await store.get_round(session, round_id=round_id)
        if round_ is not None and round_.status == RoundStatus.OPEN:
            await lifecycle.close_round(
                session, services=services, round_=round_, now=services.clock.now()
            )
        await session.commit()
    services.outbox.wake()


async def remind_due(services: Services, *, round_id: int, stage: str) -> int:
    """Queue one reminder stage while the round is open; returns how many were queued."""
    async with services.db.write() as session:
        round_ = await store.get_round(session, round_id=round_id)
        queued = 0
        if round_ is not None and is_open(round_, services.clock.now()):
            queued = await lifecycle.send_reminders(
                session, services=services, round_=round_, stage=stage, now=services.clock.now()
            )
        await session.commit()
    services.outbox.wake()
    return queued
