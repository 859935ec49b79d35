"""Handled update ids: the record that lets a re-delivered update be recognised and skipped."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import HandledUpdate


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
