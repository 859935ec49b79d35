"""`/meetup neu`: the coordinator's description checked and previewed, then announced to the
alumni group and privately to each active member of the audience (one transaction)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from markupsafe import Markup

from bot.meetups import view
from bot.meetups.audience import audience_of, resolve_cohort
from bot.meetups.delivery import Board, queue_announcement
from bot.meetups.rules import problems_of
from bot.meetups.stages import skip_passed
from bot.meetups.syntax import parse_meetup, spec_of
from bot.services import Services
from bot.ui import Problem, Reply
from storage import chats as chat_store
from storage import meetups as store
from storage.tables import Meetup, MeetupStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refused:
    problems: list[Problem]


async def draft(
    services: Services,
    *,
    text: str,
    coordinator_id: int,
    chat_id: int,
    message_id: int,
    language: str,
) -> Reply | Refused:
    """Check the description and store it as a draft; the reply is the preview with buttons."""
    now = services.clock.now()
    parsed = parse_meetup(text, now=now, tz=services.settings.tz)
    if parsed.problems:
        return Refused(parsed.problems)
    spec = spec_of(parsed)
    problems = problems_of(spec, now=now)
    request_key = f"{chat_id}:{message_id}"
    async with services.db.write() as session:
        meetup = await store.meetup_by_request(session, request_key=request_key)
        if meetup is None:
            cohort_id: int | None = None
            if spec.cohort is not None:
                found = await resolve_cohort(session, spec.cohort)
                if isinstance(found, Problem):
                    problems.append(found)
                else:
                    cohort_id = found
            if problems:
                return Refused(problems)
            meetup = Meetup(
                title=spec.title,
                place=spec.place,
                description=spec.description,
                starts_at=spec.starts_at,
                ends_at=spec.ends_at,
                capacity=spec.capacity,
                cohort_id=cohort_id,
                status=MeetupStatus.DRAFT,
                created_by=coordinator_id,
                request_key=request_key,
                created_at=now,
                updated_at=now,
            )
            await store.add_meetup(session, meetup=meetup)
            await session.commit()
        audience = len(await audience_of(session, meetup=meetup, now=now))
        group = await chat_store.alumni_group(session)
    return preview(
        services, meetup, language=language, audience=audience, in_group=group is not None
    )


def preview(
    services: Services, meetup: Meetup, *, language: str, audience: int, in_group: bool
) -> Reply:
    translate, tz = services.translate, services.settings.tz
    text, _ = view.announcement(translate, meetup, Board([]).counts, language=language, tz=tz)
    key = "meetups.preview.reach_group" if in_group else "meetups.preview.reach"
    note = translate(language, key, count=audience)
    if meetup.capacity is not None:
        note += Markup("\n") + translate(
            language, "meetups.preview.capacity", capacity=meetup.capacity
        )
    body = translate(language, "meetups.preview.title") + Markup("\n\n") + Markup(text)
    return Reply(
        str(body + Markup("\n\n") + note),
        view.preview_buttons(translate, meetup, language=language),
    )


@dataclass(frozen=True)
class Announced:
    meetup: Meetup
    recipients: int
    in_group: bool
    already: bool = False


async def announce(
    services: Services, *, meetup_id: int, coordinator_id: int
) -> Announced | Refused:
    """The preview's "Ankündigen": the group copy and one private copy per audience member,
    each with its calendar file, queued with the status change (pressed twice: once)."""
    now = services.clock.now()
    async with services.db.write() as session:
        meetup = await store.get_meetup(session, meetup_id=meetup_id)
        if meetup is None or meetup.status == MeetupStatus.CANCELLED:
            return Refused([Problem("meetups.problem.unknown", {"number": meetup_id})])
        if meetup.status == MeetupStatus.SCHEDULED:
            return Announced(meetup, 0, False, already=True)
        if meetup.starts_at <= now:
            return Refused([Problem("meetups.problem.in_past")])
        meetup.status, meetup.updated_at = MeetupStatus.SCHEDULED, now
        session.add(meetup)
        board = Board([])
        group = await chat_store.alumni_group(session)
        if group is not None:
            await queue_announcement(
                services, session, meetup, board, chat_id=group.telegram_id, member=None
            )
        members = await audience_of(session, meetup=meetup, now=now)
        for member in members:
            await queue_announcement(
                services, session, meetup, board, chat_id=member.telegram_id, member=member
            )
        if group is None and not members:
            await session.rollback()
            return Refused([Problem("meetups.problem.nobody")])
        # A reminder already due when the invitation goes out would only repeat it.
        await skip_passed(services, session, meetup)
        await session.commit()
    services.outbox.wake()
    logger.info(
        "meetup_announced meetup=%s by=%s group=%s private=%d",
        meetup.id,
        coordinator_id,
        group is not None,
        len(members),
    )
    return Announced(meetup, len(members), group is not None)


async def discard(services: Services, *, meetup_id: int) -> bool:
    """The preview's "Verwerfen": a draft goes; an announced meetup stays (False)."""
    async with services.db.write() as session:
        meetup = await store.get_meetup(session, meetup_id=meetup_id)
        if meetup is None or meetup.status != MeetupStatus.DRAFT:
            return False
        await session.delete(meetup)
        await session.commit()
    return True
