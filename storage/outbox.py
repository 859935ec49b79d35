"""Queries for the delivery outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlmodel import col, delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import DeliveryStatus, OutboxMessage


def key_starts_with(prefix: str) -> ColumnElement[bool]:
    """`purpose_key` starts with `prefix`, as a range the unique index on the key can serve
    (a LIKE with a bound pattern cannot use it; these checks run once per delivered row)."""
    if not prefix:
        return col(OutboxMessage.purpose_key).is_not(None)
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    key = col(OutboxMessage.purpose_key)
    return and_(key >= prefix, key < upper)


async def add_message(
    session: AsyncSession,
    *,
    purpose_key: str,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    not_before: dt.datetime,
) -> OutboxMessage | None:
    """Add a row unless the purpose key exists already; the caller commits."""
    existing = await session.exec(
        select(OutboxMessage.id).where(OutboxMessage.purpose_key == purpose_key)
    )
    if existing.first() is not None:
        return None
    row = OutboxMessage(
        purpose_key=purpose_key,
        chat_id=chat_id,
        method=method,
        payload=payload,
        not_before=not_before,
    )
    session.add(row)
    await session.flush()
    return row


async def due_messages(
    session: AsyncSession, *, now: dt.datetime, limit: int
) -> Sequence[OutboxMessage]:
    result = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == DeliveryStatus.PENDING, OutboxMessage.not_before <= now)
        .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
        .limit(limit)
    )
    return result.all()


async def next_due_time(session: AsyncSession) -> dt.datetime | None:
    result = await session.exec(
        select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.status == DeliveryStatus.PENDING
        )
    )
    return result.first()


async def requeue_reserved(session: AsyncSession) -> int:
    """Rows claimed before a crash whose call never began: back to the queue, claim uncounted."""
    result = await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == DeliveryStatus.RESERVED)
        .values(status=DeliveryStatus.PENDING, attempts=OutboxMessage.attempts - 1)
    )
    return int(result.rowcount)


async def in_flight(session: AsyncSession) -> Sequence[OutboxMessage]:
    """Rows whose call had begun when the bot stopped: they may or may not have arrived."""
    result = await session.exec(
        select(OutboxMessage).where(col(OutboxMessage.status) == DeliveryStatus.SENDING)
    )
    return result.all()


async def mark_sending(session: AsyncSession, *, row_id: int) -> bool:
    """The call for this reserved row begins now; False if it was taken back meanwhile."""
    result = await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == row_id,
            col(OutboxMessage.status) == DeliveryStatus.RESERVED,
        )
        .values(status=DeliveryStatus.SENDING)
    )
    return int(result.rowcount) == 1


async def release(session: AsyncSession, *, ids: list[int], not_before: dt.datetime | None) -> None:
    """Claimed rows that were never attempted go back to pending, their claim not counted."""
    if not ids:
        return
    values: dict[str, Any] = {
        "status": DeliveryStatus.PENDING,
        "attempts": OutboxMessage.attempts - 1,
    }
    if not_before is not None:
        values["not_before"] = not_before
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(ids),
            col(OutboxMessage.status) == DeliveryStatus.RESERVED,
        )
        .values(**values)
    )


async def mark_chat_unreachable(session: AsyncSession, *, chat_id: int, reason: str) -> None:
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == chat_id,
            col(OutboxMessage.status) == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.UNREACHABLE, error=reason)
    )


async def move_chat(session: AsyncSession, *, old_chat_id: int, new_chat_id: int) -> None:
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.chat_id) == old_chat_id,
            col(OutboxMessage.status).in_(
                [DeliveryStatus.PENDING, DeliveryStatus.RESERVED, DeliveryStatus.SENDING]
            ),
        )
        .values(chat_id=new_chat_id)
    )


async def get_by_key(session: AsyncSession, *, purpose_key: str) -> OutboxMessage | None:
    result = await session.exec(
        select(OutboxMessage).where(OutboxMessage.purpose_key == purpose_key)
    )
    return result.first()


async def messages_with_prefix(session: AsyncSession, *, prefix: str) -> Sequence[OutboxMessage]:
    result = await session.exec(
        select(OutboxMessage).where(key_starts_with(prefix)).order_by(col(OutboxMessage.id))
    )
    return result.all()


async def pending_with_prefix(session: AsyncSession, *, prefix: str) -> Sequence[OutboxMessage]:
    result = await session.exec(
        select(OutboxMessage)
        .where(
            key_starts_with(prefix),
            OutboxMessage.status == DeliveryStatus.PENDING,
        )
        .order_by(col(OutboxMessage.id))
    )
    return result.all()


async def withdraw(session: AsyncSession, *, ids: list[int], reason: str) -> None:
    """Take pending rows back; their text goes too (it is why they are withdrawn)."""
    await session.exec(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id).in_(ids),
            col(OutboxMessage.status) == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.WITHDRAWN, error=reason, payload={})
    )


async def sent_as(session: AsyncSession, *, chat_id: int, message_id: int) -> OutboxMessage | None:
    """The row that became message `message_id` in the chat (what a reply refers to)."""
    result = await session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.chat_id) == chat_id, col(OutboxMessage.message_id) == message_id
        )
    )
    return result.first()


async def delete_settled_rows(session: AsyncSession, *, prefix: str) -> None:
    """Outbox rows under `prefix` that are done with (sent, failed, unreachable, withdrawn)."""
    await session.exec(
        delete(OutboxMessage).where(
            key_starts_with(prefix),
            col(OutboxMessage.status).not_in(
                (DeliveryStatus.PENDING, DeliveryStatus.RESERVED, DeliveryStatus.SENDING)
            ),
        )
    )


async def due_backlog(session: AsyncSession, *, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """How many rows are due and not yet taken, and since when the oldest of them is due."""
    result = await session.exec(
        select(func.count(), func.min(OutboxMessage.not_before)).where(
            OutboxMessage.status == DeliveryStatus.PENDING, OutboxMessage.not_before <= now
        )
    )
    count, oldest = result.one()
    return int(count), oldest
