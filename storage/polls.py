"""Queries for polls, their native copies, votes and guided drafts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import col, delete, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import Member, Poll, PollCopy, PollDraft, PollVote


async def add_poll(session: AsyncSession, *, poll: Poll) -> Poll:
    session.add(poll)
    await session.flush()
    return poll


async def poll_by_request(session: AsyncSession, *, request_key: str) -> Poll | None:
    result = await session.exec(select(Poll).where(Poll.request_key == request_key))
    return result.first()


async def get_poll(session: AsyncSession, *, poll_id: int) -> Poll | None:
    return await session.get(Poll, poll_id)


async def add_copy(
    session: AsyncSession, *, poll_id: int, chat_id: int, member_id: int | None
) -> PollCopy:
    row = PollCopy(poll_id=poll_id, chat_id=chat_id, member_id=member_id)
    session.add(row)
    await session.flush()
    return row


async def copies_of(session: AsyncSession, *, poll_id: int) -> Sequence[PollCopy]:
    result = await session.exec(
        select(PollCopy).where(PollCopy.poll_id == poll_id).order_by(col(PollCopy.id))
    )
    return result.all()


async def copy_in_chat(session: AsyncSession, *, poll_id: int, chat_id: int) -> PollCopy | None:
    result = await session.exec(
        select(PollCopy).where(PollCopy.poll_id == poll_id, PollCopy.chat_id == chat_id)
    )
    return result.first()


async def copy_by_telegram_id(
    session: AsyncSession, *, telegram_poll_id: str
) -> tuple[PollCopy, Poll] | None:
    result = await session.exec(
        select(PollCopy, Poll)
        .join(Poll, col(Poll.id) == col(PollCopy.poll_id))
        .where(PollCopy.telegram_poll_id == telegram_poll_id)
    )
    return result.first()


async def vote_of(session: AsyncSession, *, poll_id: int, voter: str) -> PollVote | None:
    result = await session.exec(
        select(PollVote).where(PollVote.poll_id == poll_id, PollVote.voter == voter)
    )
    return result.first()


async def votes_of(
    session: AsyncSession, *, poll_id: int
) -> Sequence[tuple[PollVote, Member | None]]:
    result = await session.exec(
        select(PollVote, Member)
        .outerjoin(Member, col(Member.id) == col(PollVote.member_id))
        .where(PollVote.poll_id == poll_id)
        .order_by(col(PollVote.voted_at))
    )
    return result.all()


async def voted_member_ids(session: AsyncSession, *, poll_id: int) -> set[int]:
    result = await session.exec(
        select(PollVote.member_id).where(
            PollVote.poll_id == poll_id, col(PollVote.member_id).is_not(None)
        )
    )
    return {member_id for member_id in result.all() if member_id is not None}


async def votes_of_member(
    session: AsyncSession, *, member_id: int
) -> Sequence[tuple[PollVote, Poll]]:
    result = await session.exec(
        select(PollVote, Poll)
        .join(Poll, col(Poll.id) == col(PollVote.poll_id))
        .where(PollVote.member_id == member_id)
        .order_by(col(Poll.id))
    )
    return result.all()


async def delete_member_votes(session: AsyncSession, *, member_id: int) -> None:
    """The member's votes and the private copies sent to them (erasure)."""
    await session.exec(delete(PollVote).where(col(PollVote.member_id) == member_id))
    await session.exec(delete(PollCopy).where(col(PollCopy.member_id) == member_id))


async def overdue(session: AsyncSession, *, now: dt.datetime) -> Sequence[Poll]:
    result = await session.exec(
        select(Poll).where(
            col(Poll.closed_at).is_(None),
            col(Poll.closes_at).is_not(None),
            col(Poll.closes_at) <= now,
        )
    )
    return result.all()


async def reminders_due(session: AsyncSession, *, now: dt.datetime) -> Sequence[Poll]:
    result = await session.exec(
        select(Poll).where(
            col(Poll.closed_at).is_(None),
            col(Poll.reminded_at).is_(None),
            col(Poll.remind_at).is_not(None),
            col(Poll.remind_at) <= now,
        )
    )
    return result.all()


async def open_polls(session: AsyncSession) -> Sequence[Poll]:
    result = await session.exec(
        select(Poll).where(col(Poll.closed_at).is_(None)).order_by(col(Poll.id))
    )
    return result.all()


async def recent_polls(
    session: AsyncSession, *, closed_since: dt.datetime, limit: int
) -> Sequence[Poll]:
    """Open polls and those closed since then, newest first."""
    result = await session.exec(
        select(Poll)
        .where(or_(col(Poll.closed_at).is_(None), col(Poll.closed_at) >= closed_since))
        .order_by(col(Poll.id).desc())
        .limit(limit)
    )
    return result.all()


async def polls_closed_before(session: AsyncSession, *, cutoff: dt.datetime) -> int:
    """Delete polls that closed before `cutoff`, with their copies and votes (retention)."""
    ids = list(
        (
            await session.exec(
                select(Poll.id).where(
                    col(Poll.closed_at).is_not(None), col(Poll.closed_at) < cutoff
                )
            )
        ).all()
    )
    if not ids:
        return 0
    await session.exec(delete(PollVote).where(col(PollVote.poll_id).in_(ids)))
    await session.exec(delete(PollCopy).where(col(PollCopy.poll_id).in_(ids)))
    await session.exec(delete(Poll).where(col(Poll.id).in_(ids)))
    return len(ids)


async def draft_of(session: AsyncSession, *, telegram_id: int) -> PollDraft | None:
    result = await session.exec(select(PollDraft).where(PollDraft.telegram_id == telegram_id))
    return result.first()


async def delete_draft(session: AsyncSession, *, telegram_id: int) -> None:
    await session.exec(delete(PollDraft).where(col(PollDraft.telegram_id) == telegram_id))


async def delete_drafts_before(session: AsyncSession, *, cutoff: dt.datetime) -> int:
    result = await session.exec(delete(PollDraft).where(col(PollDraft.updated_at) < cutoff))
    return int(result.rowcount)


async def results_missing(session: AsyncSession) -> Sequence[Poll]:
    """Closed polls whose result was never queued (a crash right after closing)."""
    result = await session.exec(
        select(Poll).where(col(Poll.closed_at).is_not(None), col(Poll.result_queued_at).is_(None))
    )
    return result.all()
