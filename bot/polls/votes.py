"""Votes as Telegram reports them: `poll_answer` (who chose what; empty means taken back) for
polls with names, `poll` (totals per native copy) for every poll, the anonymous ones included."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import Delivered
from bot.purpose_keys import PollKey
from bot.services import Services
from storage import members as member_store
from storage import polls as store
from storage.tables import OutboxMessage, PollVote

logger = logging.getLogger(__name__)


class VoteOutcome(StrEnum):
    STORED = "stored"
    RETRACTED = "retracted"
    UNKNOWN_POLL = "unknown_poll"  # not (yet) recorded as ours
    CLOSED = "closed"  # arrived after the bot closed the poll: not counted


def guest_voter(secret: str, *, poll_id: int, telegram_id: int) -> str:
    """A pseudonym for a voter who is not a member: stable within one poll (so a changed vote
    replaces the old one), unrelated across polls, and no Telegram id stored."""
    digest = hmac.new(secret.encode(), f"poll-voter:{poll_id}:{telegram_id}".encode(), "sha256")
    return f"guest:{digest.hexdigest()[:40]}"


def member_voter(member_id: int) -> str:
    return f"member:{member_id}"


async def record_answer(
    services: Services, *, telegram_poll_id: str, telegram_id: int, option_ids: Sequence[int]
) -> VoteOutcome:
    """Store, replace or remove one person's vote; its own transaction."""
    async with services.db.write() as session:
        found = await store.copy_by_telegram_id(session, telegram_poll_id=telegram_poll_id)
        if found is None:
            return VoteOutcome.UNKNOWN_POLL
        copy, poll = found
        assert poll.id is not None and copy.id is not None
        if poll.closed_at is not None:
            logger.info("poll_vote_after_close poll=%s", poll.id)
            return VoteOutcome.CLOSED
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is not None and member.consent_at is not None and member.id is not None:
            voter, member_id = member_voter(member.id), member.id
        else:
            secret = services.settings.token
            voter, member_id = guest_voter(secret, poll_id=poll.id, telegram_id=telegram_id), None
        chosen = sorted({index for index in option_ids if 0 <= index < len(poll.options)})
        vote = await store.vote_of(session, poll_id=poll.id, voter=voter)
        if not chosen:
            if vote is not None:
                await session.delete(vote)
            await session.commit()
            return VoteOutcome.RETRACTED
        if vote is None:
            vote = PollVote(poll_id=poll.id, copy_id=copy.id, voter=voter, member_id=member_id)
        vote.option_ids, vote.voted_at = chosen, services.clock.now()
        session.add(vote)
        await session.commit()
    return VoteOutcome.STORED


async def record_totals(
    services: Services, *, telegram_poll_id: str, counts: Sequence[int], voters: int
) -> bool:
    """Telegram's totals for one native copy; False when the poll is not ours."""
    async with services.db.write() as session:
        found = await store.copy_by_telegram_id(session, telegram_poll_id=telegram_poll_id)
        if found is None:
            return False
        copy, poll = found
        if poll.closed_at is None or not copy.option_counts:
            # After the bot closed the poll the totals stay as counted, unless none came yet.
            copy.option_counts, copy.voter_count = list(counts), voters
            session.add(copy)
        await session.commit()
    return True


async def copy_delivered(
    services: Services, session: AsyncSession, row: OutboxMessage, delivered: Delivered
) -> None:
    """The outbox sent a native copy: remember its ids (in the outbox's own transaction), and
    stop it right away if the poll was closed while it was on its way."""
    key = PollKey.decode(row.purpose_key)
    chat_id = key.chat_id if key is not None else None
    if key is None or chat_id is None:
        return
    copy = await store.copy_in_chat(session, poll_id=key.poll_id, chat_id=chat_id)
    poll = await store.get_poll(session, poll_id=key.poll_id)
    if copy is None or poll is None:
        return  # erased meanwhile
    copy.message_id, copy.telegram_poll_id = delivered.message_id, delivered.poll_id
    session.add(copy)
    if poll.closed_at is not None and copy.id is not None:
        await services.outbox.enqueue(
            session,
            key=PollKey.stop(key.poll_id, copy.id).encode(),
            chat_id=chat_id,
            payload={"message_id": delivered.message_id},
            method="stop_poll",
            respect_quiet_hours=False,
        )
