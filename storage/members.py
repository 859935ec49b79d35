"""Queries for members and cohorts."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import Member


async def get_member(session: AsyncSession, *, telegram_id: int) -> Member | None:
    result = await session.exec(select(Member).where(Member.telegram_id == telegram_id))
    return result.first()
