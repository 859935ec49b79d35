"""Handled updates: the use cases the intake loop calls around every update."""

from __future__ import annotations

import datetime as dt

from bot.services import Services
from storage import intake as store


async def already_handled(services: Services, *, update_id: int) -> bool:
    async with services.db.session() as session:
        return await store.was_handled(session, update_id=update_id)


async def mark_handled(services: Services, *, update_id: int) -> None:
    """For updates whose handling wrote nothing (a read, a refusal): their effects are done."""
    async with services.db.write() as session:
        await store.record_handled(session, update_id=update_id)
        await session.commit()


async def prune_handled_updates(services: Services, *, before: dt.datetime) -> None:
    async with services.db.write() as session:
        await store.prune_handled(session, before=before)
        await session.commit()


async def begin_run(services: Services) -> bool:
    """At start: True if the bot died last time (updates may have been cut off then)."""
    async with services.db.write() as session:
        crashed = await store.begin_run(session, now=services.clock.now())
        await session.commit()
    return crashed


async def end_run(services: Services) -> None:
    """After a clean stop: the next start knows nothing was cut off."""
    async with services.db.write() as session:
        await store.end_run(session, now=services.clock.now())
        await session.commit()
