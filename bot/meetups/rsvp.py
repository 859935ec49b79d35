"""A member's answer to a meetup: the list updated, the waiting list moved up, the counts on
every announcement queued for a (paced) edit, all in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.meetups import view
from bot.meetups.delivery import queue_message, queue_refreshes, refresh_own_copy
from bot.meetups.rules import RsvpEntry, apply_rsvp, moving_up_after_capacity_change
from bot.purpose_keys import MeetupKey
from bot.services import Services
from storage import meetups as store
from storage import members as member_store
from storage.tables import Meetup, MeetupRsvp, MeetupStatus, Member, RsvpStatus

logger = logging.getLogger(__name__)


class RsvpRefusal(StrEnum):
    NOT_MEMBER = "meetups.rsvp.not_member"
    UNKNOWN = "meetups.rsvp.unknown"
    CANCELLED = "meetups.rsvp.cancelled"
    PAST = "meetups.rsvp.past"


@dataclass(frozen=True)
class RsvpResult:
    """What the presser is told (a short toast) and in which language."""

    status: RsvpStatus | None
    language: str
    refusal: RsvpRefusal | None = None
    name_visible: bool = False


async def answer(
    services: Services, *, meetup_id: int, telegram_id: int, choice: RsvpStatus | None
) -> RsvpResult:
    """`choice` None toggles whether the member's name is shown to all alumni."""
    now = services.clock.now()
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is None or member.consent_at is None or member.id is None:
            return RsvpResult(None, services.translate.default_language, RsvpRefusal.NOT_MEMBER)
        language = member.language
        meetup = await store.get_meetup(session, meetup_id=meetup_id)
        if meetup is None or meetup.status == MeetupStatus.DRAFT:
            return RsvpResult(None, language, RsvpRefusal.UNKNOWN)
        if meetup.status == MeetupStatus.CANCELLED:
            return RsvpResult(None, language, RsvpRefusal.CANCELLED)
        if meetup.starts_at <= now:
            return RsvpResult(None, language, RsvpRefusal.PAST)
        rsvps = list(await store.rsvps_of(session, meetup_id=meetup_id))
        mine = next((rsvp for rsvp in rsvps if rsvp.member_id == member.id), None)
        if choice is None:
            if mine is None:
                return RsvpResult(None, language)
            mine.name_visible = not mine.name_visible
            session.add(mine)
            await session.flush()
            await refresh_own_copy(services, session, meetup, member=member)
            await session.commit()
            services.outbox.wake()
            return RsvpResult(RsvpStatus(mine.status), language, name_visible=mine.name_visible)
        entries = [_entry(rsvp) for rsvp in rsvps]
        change = apply_rsvp(entries, member_id=member.id, choice=choice, capacity=meetup.capacity)
        if not change.changed:
            return RsvpResult(
                change.status, language, name_visible=bool(mine and mine.name_visible)
            )
        if mine is None:
            mine = MeetupRsvp(meetup_id=meetup_id, member_id=member.id, status=change.status)
            rsvps.append(mine)
        mine.status, mine.answered_at = change.status, now
        mine.waiting_since = now if change.status == RsvpStatus.WAITING else None
        session.add(mine)
        if change.moved_up is not None:
            await _move_up(services, session, meetup, rsvps, [change.moved_up])
        await _changed(services, session, meetup)
        await session.commit()
    services.outbox.wake()
    logger.info(
        "meetup_rsvp meetup=%s status=%s moved_up=%s", meetup_id, change.status, change.moved_up
    )
    return RsvpResult(change.status, language, name_visible=mine.name_visible)


def _entry(rsvp: MeetupRsvp) -> RsvpEntry:
    return RsvpEntry(rsvp.member_id, RsvpStatus(rsvp.status), rsvp.waiting_since)


async def _changed(services: Services, session: AsyncSession, meetup: Meetup) -> None:
    meetup.counts_version += 1
    session.add(meetup)
    await session.flush()
    await queue_refreshes(services, session, meetup)


async def _move_up(
    services: Services,
    session: AsyncSession,
    meetup: Meetup,
    rsvps: list[MeetupRsvp],
    member_ids: list[int],
) -> None:
    """Those from the waiting list who now have a place, told so privately."""
    assert meetup.id is not None
    now = services.clock.now()
    for rsvp in rsvps:
        if rsvp.member_id not in member_ids:
            continue
        rsvp.status, rsvp.waiting_since, rsvp.answered_at = RsvpStatus.YES, None, now
        session.add(rsvp)
        lucky = await session.get(Member, rsvp.member_id)
        if lucky is None:
            continue
        text = services.translate(
            lucky.language,
            "meetups.moved_up",
            title=meetup.title,
            when=view.when_text(meetup, language=lucky.language, tz=services.settings.tz),
        )
        # One notice per place given: the same member may move up, cancel and move up again.
        await queue_message(
            services,
            session,
            key=MeetupKey.notice(meetup.id, lucky.telegram_id, f"up-{meetup.counts_version}"),
            chat_id=lucky.telegram_id,
            text=str(text),
        )
        logger.info("meetup_moved_up meetup=%s member=%s", meetup.id, rsvp.member_id)


async def after_capacity_change(services: Services, session: AsyncSession, meetup: Meetup) -> None:
    """A meetup grew (or lost its limit): the waiting list moves up as far as places allow."""
    assert meetup.id is not None
    rsvps = list(await store.rsvps_of(session, meetup_id=meetup.id))
    lucky = moving_up_after_capacity_change([_entry(r) for r in rsvps], capacity=meetup.capacity)
    if lucky:
        await _move_up(services, session, meetup, rsvps, lucky)


async def withdraw_member(services: Services, session: AsyncSession, *, member_id: int) -> None:
    """Before an erasure: the member's answers leave every meetup still ahead, a freed place
    goes to the waiting list, and the counts on the announcements follow (same transaction)."""
    now = services.clock.now()
    for mine, meetup in await store.rsvps_of_member(session, member_id=member_id):
        was_coming = mine.status == RsvpStatus.YES
        await session.delete(mine)
        if meetup.status != MeetupStatus.SCHEDULED or meetup.starts_at <= now:
            continue
        await session.flush()
        if was_coming and meetup.capacity is not None:
            await after_capacity_change(services, session, meetup)
        await _changed(services, session, meetup)
