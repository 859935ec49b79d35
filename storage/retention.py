"""Queries that delete what is older than the retention period."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Text, cast
from sqlmodel import and_, col, delete, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import (
    Answer,
    DeliveryStatus,
    Invite,
    Member,
    OutboxMessage,
    Participation,
    Round,
)


async def rounds_closed_before(session: AsyncSession, *, cutoff: dt.datetime) -> list[int]:
    result = await session.exec(
        select(Round.id).where(col(Round.closed_at).is_not(None), col(Round.closed_at) < cutoff)
    )
    return [round_id for round_id in result.all() if round_id is not None]


async def delete_round_contributions(session: AsyncSession, *, round_ids: list[int]) -> int:
    """Answers and participations of those rounds; the rounds and questions themselves stay."""
    if not round_ids:
        return 0
    answers = await session.exec(delete(Answer).where(col(Answer.round_id).in_(round_ids)))
    await session.exec(delete(Participation).where(col(Participation.round_id).in_(round_ids)))
    return int(answers.rowcount)


async def erase_old_payloads(session: AsyncSession, *, cutoff: dt.datetime) -> int:
    """Delivered or given-up messages keep their purpose key (so nothing is ever sent twice)
    but lose their text, which may quote members."""
    result = await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.created_at) < cutoff,
            col(OutboxMessage.status) != DeliveryStatus.PENDING,
            # As text: PostgreSQL's json type has no equality operator.
            cast(col(OutboxMessage.payload), Text) != "{}",
        )
        .values(payload={}, error=None)
    )
    return int(result.rowcount)


async def members_unreachable_before(session: AsyncSession, *, cutoff: dt.datetime) -> list[Member]:
    result = await session.exec(
        select(Member).where(
            col(Member.reachable).is_(False),
            col(Member.unreachable_since).is_not(None),
            col(Member.unreachable_since) < cutoff,
        )
    )
    return list(result.all())


async def delete_spent_invites(session: AsyncSession, *, cutoff: dt.datetime) -> int:
    result = await session.exec(
        delete(Invite).where(
            or_(
                and_(col(Invite.expires_at).is_not(None), col(Invite.expires_at) < cutoff),
                and_(col(Invite.revoked_at).is_not(None), col(Invite.revoked_at) < cutoff),
            )
        )
    )
    return int(result.rowcount)
