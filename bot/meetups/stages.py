"""The timed steps of a meetup: reminders, the pre-read, the follow-up question.

Each stage is decided once (run or skip) and recorded in the transaction that queues its
messages, so it happens exactly once, also across restarts. What fell due while the bot was
down is caught up on start by the rule in `rules.due_stages`.
"""

from __future__ import annotations

import datetime as dt
import logging

from babel.dates import format_timedelta
from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.assemble import build, files, load_as_is
from bot.digest.model import Audience
from bot.digest.options import DigestOptions
from bot.meetups import view
from bot.meetups.audience import audience_of
from bot.meetups.delivery import Board, queue_message
from bot.meetups.rules import (
    FOLLOWUP_LATE_LIMIT,
    Stage,
    StageKind,
    due_stages,
    stages_of,
)
from bot.payloads import document_payload, message_payload
from bot.purpose_keys import MeetupKey
from bot.services import Services
from storage import chats as chat_store
from storage import digests as digest_store
from storage import meetups as store
from storage.active_members import is_active_member
from storage.tables import Meetup, MeetupStatus, Member, OutboxMessage, RsvpStatus

logger = logging.getLogger(__name__)

REMINDED = (RsvpStatus.YES, RsvpStatus.MAYBE)


def stages_for(services: Services, meetup: Meetup) -> list[Stage]:
    settings = services.settings
    return stages_of(
        tz=settings.tz,
        starts_at=meetup.starts_at,
        ends_at=meetup.ends_at,
        reminders=settings.meetup_reminder_offsets,
        preread=settings.meetup_preread_offset,
        followup=settings.meetup_followup_offset,
    )


def _horizon(services: Services, now: dt.datetime) -> dt.datetime:
    """Meetups that began after this may still have a stage ahead (the follow-up)."""
    followup = services.settings.meetup_followup_offset or dt.timedelta(0)
    return now - followup - FOLLOWUP_LATE_LIMIT - dt.timedelta(days=1)


async def upcoming(services: Services) -> list[tuple[int, dt.datetime]]:
    """When each meetup's next stage is due (for the job queue)."""
    now = services.clock.now()
    plan: list[tuple[int, dt.datetime]] = []
    async with services.db.session() as session:
        for meetup in await store.scheduled_after(session, since=_horizon(services, now)):
            assert meetup.id is not None
            done = await store.stages_done(session, meetup_id=meetup.id)
            ahead = [s.due_at for s in stages_for(services, meetup) if s.name not in done]
            if ahead:
                plan.append((meetup.id, min(ahead)))
    return plan


async def catch_up(services: Services) -> int:
    """Run (or skip) every stage that is due now, for every meetup; returns how many ran."""
    async with services.db.session() as session:
        meetups = await store.scheduled_after(
            session, since=_horizon(services, services.clock.now())
        )
        ids = [meetup.id for meetup in meetups if meetup.id is not None]
    ran = 0
    for meetup_id in ids:
        ran += await run_due(services, meetup_id=meetup_id)
    return ran


async def skip_passed(services: Services, session: AsyncSession, meetup: Meetup) -> None:
    """Stages already due when a meetup is announced (or moved) are skipped: the invitation
    (or the change notice) just said it all."""
    assert meetup.id is not None
    now = services.clock.now()
    done = await store.stages_done(session, meetup_id=meetup.id)
    for stage in stages_for(services, meetup):
        if stage.name in done or stage.due_at > now:
            continue
        await store.record_stage(session, meetup_id=meetup.id, stage=stage.name,
                                 due_at=stage.due_at, now=now, skipped=True)  # fmt: skip
        logger.info("meetup_stage_skipped meetup=%s stage=%s reason=before_announcement",
                    meetup.id, stage.name)  # fmt: skip


async def run_due(services: Services, *, meetup_id: int) -> int:
    now = services.clock.now()
    ran = 0
    async with services.db.write() as session:
        meetup = await store.get_meetup(session, meetup_id=meetup_id)
        if meetup is None or meetup.status != MeetupStatus.SCHEDULED:
            return 0
        done = await store.stages_done(session, meetup_id=meetup_id)
        decision = due_stages(
            stages_for(services, meetup), done=done, starts_at=meetup.starts_at, now=now
        )
        for stage in decision.skip:
            if await store.record_stage(
                session,
                meetup_id=meetup_id,
                stage=stage.name,
                due_at=stage.due_at,
                now=now,
                skipped=True,
            ):
                logger.warning(
                    "meetup_stage_skipped meetup=%s stage=%s due=%s reason=too_late",
                    meetup_id,
                    stage.name,
                    stage.due_at.isoformat(),
                )
        for stage in decision.run:
            if not await store.record_stage(
                session,
                meetup_id=meetup_id,
                stage=stage.name,
                due_at=stage.due_at,
                now=now,
                skipped=False,
            ):
                continue
            sent = await _run(services, session, meetup, stage)
            ran += 1
            logger.info(
                "meetup_stage_ran meetup=%s stage=%s messages=%d late=%.0fs",
                meetup_id,
                stage.name,
                sent,
                (now - stage.due_at).total_seconds(),
            )
        await session.commit()
    if ran:
        services.outbox.wake()
    return ran


async def _run(services: Services, session: AsyncSession, meetup: Meetup, stage: Stage) -> int:
    match stage.kind:
        case StageKind.REMINDER:
            return await _remind(services, session, meetup, stage)
        case StageKind.PREREAD:
            return await _preread(services, session, meetup, stage)
        case StageKind.FOLLOWUP:
            return await _follow_up(services, session, meetup, stage)
    return 0


async def _people(
    session: AsyncSession, meetup: Meetup, statuses: tuple[RsvpStatus, ...], now: dt.datetime
) -> list[Member]:
    """Who said so and can be reached now: paused or blocked members get no stage message."""
    assert meetup.id is not None
    return [
        member
        for rsvp, member in await store.rsvps_with_members(session, meetup_id=meetup.id)
        if rsvp.status in statuses and is_active_member(member, now)
    ]


def _stage_key(meetup: Meetup, stage: Stage, chat_id: int) -> MeetupKey:
    """Per version of the meetup: a moved meetup's stages run again under new keys."""
    assert meetup.id is not None
    return MeetupKey.stage(meetup.id, f"{stage.name}.v{meetup.sequence}", chat_id)


async def _tell(
    services: Services, session: AsyncSession, meetup: Meetup, stage: Stage, *, chat_id: int,
    text: str, respect_quiet_hours: bool = True,
) -> None:  # fmt: skip
    """One message of a stage; its key makes it once per stage and chat."""
    assert meetup.id is not None
    await queue_message(services, session, key=_stage_key(meetup, stage, chat_id),
                        chat_id=chat_id, text=str(text),
                        respect_quiet_hours=respect_quiet_hours)  # fmt: skip


def _until(services: Services, meetup: Meetup, language: str) -> str:
    return format_timedelta(
        meetup.starts_at - services.clock.now(), add_direction=True, locale=language
    )


async def _remind(services: Services, session: AsyncSession, meetup: Meetup, stage: Stage) -> int:
    assert meetup.id is not None
    translate, tz = services.translate, services.settings.tz
    sent = 0
    for member in await _people(session, meetup, REMINDED, services.clock.now()):
        language = member.language
        text = (
            translate(
                language,
                "meetups.reminder",
                title=meetup.title,
                until=_until(services, meetup, language),
            )
            + Markup("\n")
            + view.details(translate, meetup, language=language, tz=tz)
        )
        await _tell(services, session, meetup, stage, chat_id=member.telegram_id, text=text)
        sent += 1
    # The first reminder that actually goes out also asks those who have not answered (an
    # earlier one may have been skipped).
    ran = await store.reminders_sent(session, meetup_id=meetup.id, prefix=StageKind.REMINDER.value)
    if not ran - {stage.name}:
        board = await Board.load(session, meetup_id=meetup.id)
        for member in await audience_of(session, meetup=meetup, now=services.clock.now()):
            if member.id in board.by_member:
                continue
            language = member.language
            # No counts here: this message is not kept up to date like the invitation.
            shown = view.details(translate, meetup, language=language, tz=tz)
            keyboard = view.rsvp_buttons(translate, meetup, language=language)
            intro = translate(
                language,
                "meetups.reminder_unanswered",
                title=meetup.title,
                until=_until(services, meetup, language),
            )
            await services.outbox.enqueue(
                session,
                key=_stage_key(meetup, stage, member.telegram_id).encode(),
                chat_id=member.telegram_id,
                payload=message_payload(
                    str(intro + Markup("\n\n") + Markup(shown)), buttons=keyboard
                ),
            )
            sent += 1
    group = await chat_store.alumni_group(session)
    if group is not None:
        language = translate.default_language
        text = translate(
            language,
            "meetups.reminder_group",
            title=meetup.title,
            until=_until(services, meetup, language),
            when=view.when_text(meetup, language=language, tz=tz),
            place=meetup.place,
        )
        await _tell(services, session, meetup, stage, chat_id=group.telegram_id, text=text,
                    respect_quiet_hours=False)  # fmt: skip
        sent += 1
    return sent


async def _preread(services: Services, session: AsyncSession, meetup: Meetup, stage: Stage) -> int:
    """The latest closed round's digest (what all alumni may see) to those who come."""
    assert meetup.id is not None
    round_ = await digest_store.latest_closed_round(session)
    if round_ is None:
        logger.info("meetup_preread_skipped meetup=%s reason=no_closed_round", meetup.id)
        return 0
    loaded = await load_as_is(session, round=round_, cohort_id=None, theme=None)
    digest = build(services, loaded, DigestOptions(), Audience.ALUMNI)
    sent = 0
    for member in await _people(session, meetup, (RsvpStatus.YES,), services.clock.now()):
        language = member.language
        document = files(services, digest, language)[0]  # the Markdown version
        caption = services.translate(
            language, "meetups.preread", title=meetup.title, number=round_.number
        )
        await services.outbox.enqueue(
            session,
            key=_stage_key(meetup, stage, member.telegram_id).encode(),
            chat_id=member.telegram_id,
            payload=document_payload(
                filename=document.filename, content=document.content, caption=str(caption)
            ),
            method="send_document",
        )
        sent += 1
    return sent


async def _follow_up(
    services: Services, session: AsyncSession, meetup: Meetup, stage: Stage
) -> int:
    """ "Was nimmst du mit?" to those who said yes; the answer is stored (see `followup`)."""
    assert meetup.id is not None
    sent = 0
    for member in await _people(session, meetup, (RsvpStatus.YES,), services.clock.now()):
        text = services.translate(member.language, "meetups.followup.question", title=meetup.title)
        await _tell(services, session, meetup, stage, chat_id=member.telegram_id, text=text)
        sent += 1
    return sent


async def still_wanted(session: AsyncSession, row: OutboxMessage, now: dt.datetime) -> bool:
    """Checked when a row falls due (quiet hours may have held it for a night): an invitation
    is not sent once the meetup was cancelled, a calendar file not once a newer version
    exists, a reminder or pre-read not once the meetup was cancelled or has begun."""
    key = MeetupKey.decode(row.purpose_key)
    if key is None or key.kind in ("edit", "notice"):
        return True
    meetup = await store.get_meetup(session, meetup_id=key.meetup_id)
    if meetup is None:
        return False
    if key.kind == "ics":
        return key.detail.rsplit(":", 1)[-1] == str(meetup.sequence)
    if meetup.status != MeetupStatus.SCHEDULED:
        return False
    if key.kind == "copy":
        return True
    return (key.stage_name or "").startswith(StageKind.FOLLOWUP.value) or meetup.starts_at > now
