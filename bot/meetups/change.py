"""`/meetup ändern` and `/meetup absagen`: the meetup changed, every announcement edited, the
calendar file (one `SEQUENCE` higher) sent to those who come or may come."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.meetups import view
from bot.meetups.delivery import calendar_payload, queue_message, queue_refreshes
from bot.meetups.rsvp import after_capacity_change
from bot.meetups.rules import MeetupSpec, problems_of
from bot.meetups.stages import skip_passed, stages_for
from bot.meetups.syntax import Parsed, end_on_day_of, parse_meetup
from bot.purpose_keys import MeetupKey
from bot.services import Services
from bot.ui import Problem
from storage import chats as chat_store
from storage import meetups as store
from storage.tables import Meetup, MeetupStatus, Member, RsvpStatus

logger = logging.getLogger(__name__)

# Told about a change or a cancellation, with the new calendar file.
INFORMED = (RsvpStatus.YES, RsvpStatus.MAYBE, RsvpStatus.WAITING)


@dataclass(frozen=True)
class Changed:
    meetup: Meetup
    informed: int
    unchanged: bool = False


@dataclass(frozen=True)
class Refused:
    problems: list[Problem]


async def _scheduled(session: AsyncSession, meetup_id: int) -> Meetup | Refused:
    meetup = await store.get_meetup(session, meetup_id=meetup_id)
    if meetup is None or meetup.status == MeetupStatus.DRAFT:
        return Refused([Problem("meetups.problem.unknown", {"number": meetup_id})])
    if meetup.status == MeetupStatus.CANCELLED:
        return Refused([Problem("meetups.problem.already_cancelled", {"number": meetup_id})])
    return meetup


async def change(services: Services, *, meetup_id: int, text: str) -> Changed | Refused:
    """Fields left empty keep their value: `/meetup ändern 3 16.09.2027 18:00 | |`."""
    now = services.clock.now()
    parsed = parse_meetup(text, now=now, tz=services.settings.tz, partial=True)
    if parsed.problems:
        return Refused(parsed.problems)
    async with services.db.write() as session:
        meetup = await _scheduled(session, meetup_id)
        if isinstance(meetup, Refused):
            return meetup
        starts_at = parsed.starts_at or meetup.starts_at
        spec = MeetupSpec(
            starts_at=starts_at,
            ends_at=_new_end(meetup, parsed, starts_at, services.settings.tz),
            place=parsed.place or meetup.place,
            title=parsed.title or meetup.title,
            # "-" clears the description; an empty field keeps it
            description=None
            if parsed.description == "-"
            else parsed.description or meetup.description,
            capacity=parsed.capacity if parsed.capacity_given else meetup.capacity,
        )
        problems = problems_of(spec, now=now)
        if parsed.cohort is not None:
            problems.append(Problem("meetups.problem.cohort_fixed"))
        yes = sum(1 for rsvp in await store.rsvps_of(session, meetup_id=meetup_id)
                  if rsvp.status == RsvpStatus.YES)  # fmt: skip
        if spec.capacity is not None and spec.capacity < yes:
            problems.append(Problem("meetups.problem.capacity_below", {"count": yes}))
        if problems:
            return Refused(problems)
        before = (
            meetup.starts_at,
            meetup.ends_at,
            meetup.place,
            meetup.title,
            meetup.description,
            meetup.capacity,
        )
        after = (
            spec.starts_at,
            spec.ends_at,
            spec.place,
            spec.title,
            spec.description,
            spec.capacity,
        )
        if before == after:
            return Changed(meetup, 0, unchanged=True)
        moved = meetup.starts_at != spec.starts_at or meetup.ends_at != spec.ends_at
        grew = meetup.capacity is not None and (
            spec.capacity is None or spec.capacity > meetup.capacity
        )
        meetup.starts_at, meetup.ends_at = spec.starts_at, spec.ends_at
        meetup.place, meetup.title = spec.place, spec.title
        meetup.description, meetup.capacity = spec.description, spec.capacity
        meetup.sequence += 1
        meetup.updated_at = now
        session.add(meetup)
        if moved:
            await _reopen_future_stages(services, session, meetup)
            await skip_passed(services, session, meetup)
        if grew:
            await after_capacity_change(services, session, meetup)
        meetup.counts_version += 1  # the text changed: every copy is edited
        await session.flush()
        await queue_refreshes(services, session, meetup)
        informed = await _inform(
            services,
            session,
            meetup,
            what=f"changed-{meetup.sequence}",
            key="meetups.changed.notice",
        )
        await session.commit()
    services.outbox.wake()
    logger.info(
        "meetup_changed meetup=%s sequence=%s informed=%d", meetup.id, meetup.sequence, informed
    )
    return Changed(meetup, informed)


def _new_end(
    meetup: Meetup, parsed: Parsed, starts_at: dt.datetime, tz: ZoneInfo
) -> dt.datetime | None:
    """A typed end time applies to the (new or old) day; a moved start keeps the length."""
    if parsed.end_time is not None:
        return end_on_day_of(starts_at, parsed.end_time, tz)
    if meetup.ends_at is None:
        return None
    return starts_at + (meetup.ends_at - meetup.starts_at)


async def cancel(services: Services, *, meetup_id: int) -> Changed | Refused:
    now = services.clock.now()
    async with services.db.write() as session:
        meetup = await _scheduled(session, meetup_id)
        if isinstance(meetup, Refused):
            return meetup
        if meetup.starts_at <= now:
            return Refused([Problem("meetups.problem.took_place", {"number": meetup_id})])
        meetup.status, meetup.cancelled_at, meetup.updated_at = MeetupStatus.CANCELLED, now, now
        meetup.sequence += 1
        meetup.counts_version += 1
        session.add(meetup)
        await session.flush()
        await queue_refreshes(services, session, meetup)
        informed = await _inform(
            services, session, meetup, what="cancelled", key="meetups.cancelled.notice"
        )
        await session.commit()
    services.outbox.wake()
    logger.info("meetup_cancelled meetup=%s informed=%d", meetup.id, informed)
    return Changed(meetup, informed)


async def _reopen_future_stages(services: Services, session: AsyncSession, meetup: Meetup) -> None:
    """A new time: the stages that now lie ahead run (again) at their new moments."""
    assert meetup.id is not None
    now = services.clock.now()
    ahead = [stage.name for stage in stages_for(services, meetup) if stage.due_at > now]
    await store.forget_stages(session, meetup_id=meetup.id, names=ahead)


async def _inform(
    services: Services, session: AsyncSession, meetup: Meetup, *, what: str, key: str
) -> int:
    """The notice and the new calendar file to those who come, may come or wait; the file to
    invitations still waiting (quiet hours: their outdated file was withdrawn) and to the
    group, which also gets the notice. Returns how many members were told."""
    assert meetup.id is not None
    informed = [
        member
        for rsvp, member in await store.rsvps_with_members(session, meetup_id=meetup.id)
        if rsvp.status in INFORMED
    ]
    for member in informed:
        await _notice(services, session, meetup, chat_id=member.telegram_id,
                      language=member.language, what=what, key=key, private=True)  # fmt: skip
        await _queue_calendar(services, session, meetup, chat_id=member.telegram_id,
                              language=member.language, private=True)  # fmt: skip
    told = {member.telegram_id for member in informed}
    default = services.translate.default_language
    for copy in await store.copies_of(session, meetup_id=meetup.id):
        if copy.chat_id in told or (copy.member_id is not None and copy.message_id is not None):
            continue
        holder = await session.get(Member, copy.member_id) if copy.member_id else None
        await _queue_calendar(services, session, meetup, chat_id=copy.chat_id,
                              language=holder.language if holder else default,
                              private=copy.member_id is not None)  # fmt: skip
    group = await chat_store.alumni_group(session)
    if group is not None:
        await _notice(services, session, meetup, chat_id=group.telegram_id, language=default,
                      what=what, key=key, private=False)  # fmt: skip
    return len(informed)


async def _notice(
    services: Services, session: AsyncSession, meetup: Meetup, *, chat_id: int, language: str,
    what: str, key: str, private: bool,
) -> None:  # fmt: skip
    assert meetup.id is not None
    text = (
        services.translate(language, key, title=meetup.title)
        + Markup("\n")
        + view.details(services.translate, meetup, language=language, tz=services.settings.tz)
    )
    await queue_message(services, session, key=MeetupKey.notice(meetup.id, chat_id, what),
                        chat_id=chat_id, text=str(text),
                        respect_quiet_hours=private)  # fmt: skip


async def _queue_calendar(
    services: Services, session: AsyncSession, meetup: Meetup, *, chat_id: int, language: str,
    private: bool,
) -> None:  # fmt: skip
    assert meetup.id is not None
    caption = (
        "meetups.calendar.caption_cancelled"
        if meetup.status == MeetupStatus.CANCELLED
        else "meetups.calendar.caption_changed"
    )
    await services.outbox.enqueue(
        session,
        key=MeetupKey.calendar(meetup.id, chat_id, meetup.sequence).encode(),
        chat_id=chat_id,
        payload=calendar_payload(services, meetup, language=language, caption_key=caption),
        method="send_document",
        respect_quiet_hours=private,
    )
