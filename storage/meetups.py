"""Queries of the meetup tables. Async, keyword-only, the session passed in; callers commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import (
    Meetup,
    MeetupCopy,
    MeetupFeedback,
    MeetupRsvp,
    MeetupStage,
    MeetupStatus,
    Member,
)


async def add_meetup(session: AsyncSession, *, meetup: Meetup) -> Meetup:
    session.add(meetup)
    await session.flush()
    return meetup


async def get_meetup(session: AsyncSession, *, meetup_id: int) -> Meetup | None:
    return await session.get(Meetup, meetup_id)


async def meetup_by_request(session: AsyncSession, *, request_key: str) -> Meetup | None:
    result = await session.exec(select(Meetup).where(col(Meetup.request_key) == request_key))
    return result.first()


async def scheduled_after(
    session: AsyncSession, *, since: dt.datetime, limit: int | None = None
) -> Sequence[Meetup]:
    """Announced, not cancelled meetups starting after `since`, soonest first (`now`: the
    upcoming ones; a while ago: those whose follow-up may still be due)."""
    query = (
        select(Meetup)
        .where(col(Meetup.status) == MeetupStatus.SCHEDULED, col(Meetup.starts_at) > since)
        .order_by(col(Meetup.starts_at), col(Meetup.id))
    )
    if limit is not None:
        query = query.limit(limit)
    return (await session.exec(query)).all()


async def add_copy(
    session: AsyncSession, *, meetup_id: int, chat_id: int, member_id: int | None, version: int
) -> MeetupCopy:
    copy = MeetupCopy(
        meetup_id=meetup_id, chat_id=chat_id, member_id=member_id, shown_version=version
    )
    session.add(copy)
    await session.flush()
    return copy


async def copies_of(session: AsyncSession, *, meetup_id: int) -> Sequence[MeetupCopy]:
    result = await session.exec(
        select(MeetupCopy)
        .where(col(MeetupCopy.meetup_id) == meetup_id)
        .order_by(col(MeetupCopy.id))
    )
    return result.all()


async def copy_in_chat(session: AsyncSession, *, meetup_id: int, chat_id: int) -> MeetupCopy | None:
    result = await session.exec(
        select(MeetupCopy).where(
            col(MeetupCopy.meetup_id) == meetup_id, col(MeetupCopy.chat_id) == chat_id
        )
    )
    return result.first()


async def members_of_copies(session: AsyncSession, *, meetup_id: int) -> Sequence[Member]:
    """The members who hold a private announcement of the meetup."""
    result = await session.exec(
        select(Member)
        .join(MeetupCopy, col(MeetupCopy.member_id) == col(Member.id))
        .where(col(MeetupCopy.meetup_id) == meetup_id)
    )
    return result.all()


async def move_chat(session: AsyncSession, *, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: its invitations follow (their messages stay behind, so
    edits to them fail and the copy is then given up, see `delivery.edit_settled`)."""
    await session.exec(
        update(MeetupCopy).where(col(MeetupCopy.chat_id) == old_chat_id).values(chat_id=new_chat_id)
    )


async def rsvps_of(session: AsyncSession, *, meetup_id: int) -> Sequence[MeetupRsvp]:
    result = await session.exec(
        select(MeetupRsvp)
        .where(col(MeetupRsvp.meetup_id) == meetup_id)
        .order_by(col(MeetupRsvp.answered_at), col(MeetupRsvp.id))
    )
    return result.all()


async def rsvps_with_members(
    session: AsyncSession, *, meetup_id: int
) -> Sequence[tuple[MeetupRsvp, Member]]:
    result = await session.exec(
        select(MeetupRsvp, Member)
        .join(Member, col(Member.id) == col(MeetupRsvp.member_id))
        .where(col(MeetupRsvp.meetup_id) == meetup_id)
        .order_by(col(MeetupRsvp.answered_at), col(MeetupRsvp.id))
    )
    return result.all()


async def rsvp_of(session: AsyncSession, *, meetup_id: int, member_id: int) -> MeetupRsvp | None:
    result = await session.exec(
        select(MeetupRsvp).where(
            col(MeetupRsvp.meetup_id) == meetup_id, col(MeetupRsvp.member_id) == member_id
        )
    )
    return result.first()


async def rsvps_of_member(
    session: AsyncSession, *, member_id: int
) -> Sequence[tuple[MeetupRsvp, Meetup]]:
    result = await session.exec(
        select(MeetupRsvp, Meetup)
        .join(Meetup, col(Meetup.id) == col(MeetupRsvp.meetup_id))
        .where(col(MeetupRsvp.member_id) == member_id)
        .order_by(col(Meetup.starts_at))
    )
    return result.all()


async def feedback_of_member(
    session: AsyncSession, *, member_id: int
) -> Sequence[tuple[MeetupFeedback, Meetup]]:
    result = await session.exec(
        select(MeetupFeedback, Meetup)
        .join(Meetup, col(Meetup.id) == col(MeetupFeedback.meetup_id))
        .where(col(MeetupFeedback.member_id) == member_id)
        .order_by(col(MeetupFeedback.created_at))
    )
    return result.all()


async def save_feedback(
    session: AsyncSession,
    *,
    meetup_id: int,
    member_id: int,
    text: str,
    themes: list[str],
    now: dt.datetime,
) -> MeetupFeedback:
    """The member's answer; a second one replaces the first (the latest thought counts)."""
    result = await session.exec(
        select(MeetupFeedback).where(
            col(MeetupFeedback.meetup_id) == meetup_id, col(MeetupFeedback.member_id) == member_id
        )
    )
    feedback = result.first()
    if feedback is None:
        feedback = MeetupFeedback(
            meetup_id=meetup_id, member_id=member_id, text=text, themes=themes, created_at=now
        )
    else:  # created_at stays: it decides which digest shows the answer
        feedback.text, feedback.themes = text, themes
    session.add(feedback)
    await session.flush()
    return feedback


async def stages_done(session: AsyncSession, *, meetup_id: int) -> set[str]:
    result = await session.exec(
        select(MeetupStage.stage).where(col(MeetupStage.meetup_id) == meetup_id)
    )
    return set(result.all())


async def reminders_sent(session: AsyncSession, *, meetup_id: int, prefix: str) -> set[str]:
    """Names of the stages under `prefix` that ran (not skipped)."""
    result = await session.exec(
        select(MeetupStage.stage).where(
            col(MeetupStage.meetup_id) == meetup_id,
            col(MeetupStage.stage).startswith(prefix),
            col(MeetupStage.skipped).is_(False),
        )
    )
    return set(result.all())


async def record_stage(
    session: AsyncSession,
    *,
    meetup_id: int,
    stage: str,
    due_at: dt.datetime,
    now: dt.datetime,
    skipped: bool,
) -> bool:
    """Mark a stage as decided; False when it was decided already (another run got there)."""
    try:
        async with session.begin_nested():
            session.add(
                MeetupStage(
                    meetup_id=meetup_id, stage=stage, due_at=due_at, done_at=now, skipped=skipped
                )
            )
            await session.flush()
    except IntegrityError:
        return False
    return True


async def forget_stages(session: AsyncSession, *, meetup_id: int, names: Sequence[str]) -> None:
    if names:
        await session.exec(
            delete(MeetupStage).where(
                col(MeetupStage.meetup_id) == meetup_id, col(MeetupStage.stage).in_(names)
            )
        )


async def delete_member_data(session: AsyncSession, *, member_id: int) -> None:
    await session.exec(delete(MeetupRsvp).where(col(MeetupRsvp.member_id) == member_id))
    await session.exec(delete(MeetupFeedback).where(col(MeetupFeedback.member_id) == member_id))
    await session.exec(delete(MeetupCopy).where(col(MeetupCopy.member_id) == member_id))


async def delete_meetups_before(session: AsyncSession, *, cutoff: dt.datetime) -> list[int]:
    """Meetups that took place before `cutoff`, with everything hanging on them; their ids."""
    result = await session.exec(select(Meetup.id).where(col(Meetup.starts_at) < cutoff))
    ids = [meetup_id for meetup_id in result.all() if meetup_id is not None]
    if not ids:
        return []
    await session.exec(delete(MeetupRsvp).where(col(MeetupRsvp.meetup_id).in_(ids)))
    await session.exec(delete(MeetupFeedback).where(col(MeetupFeedback.meetup_id).in_(ids)))
    await session.exec(delete(MeetupCopy).where(col(MeetupCopy.meetup_id).in_(ids)))
    await session.exec(delete(MeetupStage).where(col(MeetupStage.meetup_id).in_(ids)))
    await session.exec(delete(Meetup).where(col(Meetup.id).in_(ids)))
    return ids


async def drafts_before(session: AsyncSession, *, cutoff: dt.datetime) -> int:
    result = await session.exec(
        select(Meetup.id).where(
            col(Meetup.status) == MeetupStatus.DRAFT, col(Meetup.created_at) < cutoff
        )
    )
    ids = [meetup_id for meetup_id in result.all() if meetup_id is not None]
    if ids:
        await session.exec(delete(Meetup).where(col(Meetup.id).in_(ids)))
    return len(ids)
