"""Queries for members, cohorts and invites."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import meetups as meetup_store
from storage import polls as poll_store
from storage.tables import (
    Answer,
    Cohort,
    Invite,
    Member,
    OutboxMessage,
    Participation,
    Round,
    RoundQuestion,
)
from storage.types import utcnow

# ------------------------------------------------------------------------------------ members


async def get_member(session: AsyncSession, *, telegram_id: int) -> Member | None:
    result = await session.exec(select(Member).where(Member.telegram_id == telegram_id))
    return result.first()


async def get_member_by_username(session: AsyncSession, *, username: str) -> Member | None:
    wanted = username.removeprefix("@").lower()
    result = await session.exec(select(Member).where(func.lower(Member.username) == wanted))
    return result.first()


async def create_member(
    session: AsyncSession,
    *,
    telegram_id: int,
    username: str | None,
    language: str,
    display_name: str | None,
    cohort_id: int | None,
    awaiting: str | None,
    now: dt.datetime,
) -> Member:
    """The row that consent creates (`now` is the moment of consent); the caller commits."""
    member = Member(
        telegram_id=telegram_id,
        username=username,
        language=language,
        consent_at=now,
        display_name=display_name,
        cohort_id=cohort_id,
        awaiting=awaiting,
    )
    session.add(member)
    await session.flush()
    return member


async def save_member(session: AsyncSession, *, member: Member) -> None:
    member.updated_at = utcnow()
    session.add(member)
    await session.flush()


async def all_members(session: AsyncSession) -> Sequence[Member]:
    result = await session.exec(select(Member).order_by(col(Member.id)))
    return result.all()


async def coordinators(session: AsyncSession) -> Sequence[Member]:
    result = await session.exec(select(Member).where(col(Member.is_coordinator).is_(True)))
    return result.all()


async def known_regions(session: AsyncSession, *, limit: int = 12) -> list[str]:
    """Regions members entered, most common first (buttons for the next member)."""
    count = func.count(col(Member.id))
    result = await session.exec(
        select(Member.region, count)
        .where(col(Member.region).is_not(None))
        .group_by(col(Member.region))
        .order_by(count.desc(), col(Member.region))
        .limit(limit)
    )
    return [region for region, _ in result.all() if region]


async def set_reachable(
    session: AsyncSession, *, telegram_id: int, reachable: bool, now: dt.datetime
) -> bool:
    """Record whether the bot can write to the member; False if there is no such member."""
    member = await get_member(session, telegram_id=telegram_id)
    if member is None:
        return False
    if member.reachable != reachable:
        member.reachable = reachable
        member.unreachable_since = None if reachable else now
        await save_member(session, member=member)
    return True


async def delete_member(session: AsyncSession, *, member: Member) -> None:
    """Erase the member and everything that hangs on them; the caller commits.

    Answers and participations are deleted explicitly (not only by ON DELETE CASCADE) so the
    erasure does not depend on the database enforcing foreign keys. Messages to the member's
    private chat carry personal text, so the outbox rows for that chat go too.
    """
    assert member.id is not None
    await session.exec(delete(Answer).where(col(Answer.member_id) == member.id))
    await session.exec(delete(Participation).where(col(Participation.member_id) == member.id))
    await poll_store.delete_member_votes(session, member_id=member.id)
    await poll_store.delete_draft(session, telegram_id=member.telegram_id)
    await meetup_store.delete_member_data(session, member_id=member.id)
    await session.exec(
        delete(OutboxMessage).where(col(OutboxMessage.chat_id) == member.telegram_id)
    )
    await session.exec(delete(Member).where(col(Member.id) == member.id))
    await session.flush()


async def answers_of(
    session: AsyncSession, *, member_id: int
) -> Sequence[tuple[Answer, RoundQuestion, Round]]:
    result = await session.exec(
        select(Answer, RoundQuestion, Round)
        .join(RoundQuestion, col(RoundQuestion.id) == col(Answer.round_question_id))
        .join(Round, col(Round.id) == col(Answer.round_id))
        .where(col(Answer.member_id) == member_id)
        .order_by(col(Round.number), col(RoundQuestion.position))
    )
    return result.all()


async def participations_of(
    session: AsyncSession, *, member_id: int
) -> Sequence[tuple[Participation, Round]]:
    result = await session.exec(
        select(Participation, Round)
        .join(Round, col(Round.id) == col(Participation.round_id))
        .where(col(Participation.member_id) == member_id)
        .order_by(col(Round.number))
    )
    return result.all()


# ------------------------------------------------------------------------------------ cohorts


async def list_cohorts(session: AsyncSession) -> Sequence[Cohort]:
    result = await session.exec(select(Cohort).order_by(col(Cohort.name)))
    return result.all()


async def get_cohort(session: AsyncSession, *, cohort_id: int) -> Cohort | None:
    return await session.get(Cohort, cohort_id)


async def find_cohort(session: AsyncSession, *, name: str) -> Cohort | None:
    """The cohort named `name`, ignoring case and surrounding spaces."""
    wanted = name.strip().lower()
    result = await session.exec(select(Cohort).where(func.lower(Cohort.name) == wanted))
    return result.first()


async def add_cohort(session: AsyncSession, *, name: str) -> Cohort:
    cohort = Cohort(name=name)
    session.add(cohort)
    await session.flush()
    return cohort


async def rename_cohort(session: AsyncSession, *, cohort: Cohort, name: str) -> None:
    cohort.name = name
    session.add(cohort)
    await session.flush()


# ------------------------------------------------------------------------------------ invites


async def add_invite(
    session: AsyncSession,
    *,
    code: str,
    cohort_id: int | None,
    created_by: int,
    expires_at: dt.datetime | None,
) -> Invite:
    invite = Invite(code=code, cohort_id=cohort_id, created_by=created_by, expires_at=expires_at)
    session.add(invite)
    await session.flush()
    return invite


async def get_invite(session: AsyncSession, *, code: str) -> Invite | None:
    result = await session.exec(select(Invite).where(Invite.code == code))
    return result.first()


async def get_invite_by_id(session: AsyncSession, *, invite_id: int) -> Invite | None:
    return await session.get(Invite, invite_id)


async def open_invites(session: AsyncSession, *, now: dt.datetime) -> Sequence[Invite]:
    """Invites that still work: not revoked and not expired."""
    result = await session.exec(
        select(Invite)
        .where(col(Invite.revoked_at).is_(None))
        .where((col(Invite.expires_at).is_(None)) | (col(Invite.expires_at) > now))
        .order_by(col(Invite.created_at))
    )
    return result.all()
