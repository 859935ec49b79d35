"""Handled update ids: the record that lets a re-delivered update be recognised and skipped."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import BotRun, HandledUpdate


async def was_handled(session: AsyncSession, *, update_id: int) -> bool:
    return await session.get(HandledUpdate, update_id) is not None


def record_handled_sync(session: Session, *, update_id: int) -> None:
    """Inside a transaction about to commit (a before-commit hook): note the update once."""
    if session.get(HandledUpdate, update_id) is None:
        session.add(HandledUpdate(update_id=update_id))
        session.flush()


async def record_handled(session: AsyncSession, *, update_id: int) -> None:
    if await session.get(HandledUpdate, update_id) is None:
        session.add(HandledUpdate(update_id=update_id))
        await session.flush()


async def prune_handled(session: AsyncSession, *, before: dt.datetime) -> None:
    """Telegram keeps an unconfirmed update for 24 hours; older ids are never needed again."""
    await session.exec(delete(HandledUpdate).where(col(HandledUpdate.handled_at) < before))


async def begin_run(session: AsyncSession, *, now: dt.datetime) -> bool:
    """Note that the bot runs from `now`; True if the run before did not stop cleanly."""
    run = (await session.exec(select(BotRun).order_by(col(BotRun.id)).limit(1))).first()
    crashed = run is not None and run.stopped_at is None
    run = run or BotRun()
    run.started_at, run.stopped_at = now, None
    session.add(run)
    return crashed


async def end_run(session: AsyncSession, *, now: dt.datetime) -> None:
    run = (await session.exec(select(BotRun).order_by(col(BotRun.id)).limit(1))).first()
    if run is not None:
        run.stopped_at = now
        session.add(run)


async def last_handled(session: AsyncSession) -> dt.datetime | None:
    """When the newest update was handled (ids rise with time); None when none is kept."""
    result = await session.exec(
        select(HandledUpdate.handled_at).order_by(col(HandledUpdate.update_id).desc()).limit(1)
    )
    return result.first()
