"""Queries for broadcasts and their recipients' outbox rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import and_, col, delete, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.outbox import key_starts_with
from storage.tables import Broadcast, BroadcastStatus, DeliveryStatus, Member, OutboxMessage

UNSETTLED = (DeliveryStatus.PENDING, DeliveryStatus.RESERVED, DeliveryStatus.SENDING)


async def add_broadcast(session: AsyncSession, *, broadcast: Broadcast) -> Broadcast:
    session.add(broadcast)
    await session.flush()
    return broadcast


async def get_broadcast(session: AsyncSession, *, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def broadcast_by_request(session: AsyncSession, *, request_key: str) -> Broadcast | None:
    result = await session.exec(select(Broadcast).where(Broadcast.request_key == request_key))
    return result.first()


async def distinct_regions(session: AsyncSession) -> list[str]:
    """Every region a member entered, alphabetically."""
    result = await session.exec(
        select(Member.region).where(col(Member.region).is_not(None)).distinct()
    )
    return sorted(region for region in result.all() if region)


async def copies(session: AsyncSession, *, prefix: str) -> Sequence[OutboxMessage]:
    """The recipients' outbox rows of one broadcast, by their key prefix (a /forget takes the
    member's row away)."""
    result = await session.exec(
        select(OutboxMessage).where(key_starts_with(prefix)).order_by(col(OutboxMessage.id))
    )
    return result.all()


async def unsettled_count(session: AsyncSession, *, prefix: str) -> int:
    """How many rows under `prefix` are still queued or in flight (cheap: asked per settle)."""
    result = await session.exec(
        select(func.count(col(OutboxMessage.id))).where(
            key_starts_with(prefix),
            col(OutboxMessage.status).in_(UNSETTLED),
        )
    )
    return int(result.one())


async def awaiting_report(session: AsyncSession) -> Sequence[Broadcast]:
    """Confirmed broadcasts whose report has not been queued yet."""
    result = await session.exec(
        select(Broadcast).where(
            Broadcast.status == BroadcastStatus.CONFIRMED,
            col(Broadcast.report_queued_at).is_(None),
        )
    )
    return result.all()


async def purge_before(
    session: AsyncSession, *, cutoff: dt.datetime, drafts_before: dt.datetime
) -> list[int]:
    """Delete broadcasts sent (or cancelled) before `cutoff` and drafts older than
    `drafts_before`; returns their ids (the caller removes their outbox rows)."""
    sent_or_dropped = or_(
        and_(
            col(Broadcast.confirmed_at) < cutoff,
            or_(col(Broadcast.send_at).is_(None), col(Broadcast.send_at) < cutoff),
        ),
        col(Broadcast.cancelled_at) < cutoff,
    )
    stale_draft = and_(
        col(Broadcast.status) == BroadcastStatus.DRAFT, col(Broadcast.created_at) < drafts_before
    )
    result = await session.exec(select(Broadcast.id).where(or_(sent_or_dropped, stale_draft)))
    ids = [broadcast_id for broadcast_id in result.all() if broadcast_id is not None]
    if ids:
        await session.exec(delete(Broadcast).where(col(Broadcast.id).in_(ids)))
    return ids
