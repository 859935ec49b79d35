"""The steps of a round's life inside a caller's transaction: open, remind, close, catch up.

Everything sent on the bot's own initiative is enqueued in the outbox inside the transaction
that causes it, under a purpose key per round, stage and member (`bot.purpose_keys`), so a
restart never sends twice. The use cases around these steps are in `jobs` and `control`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkin.render import render_prompt, render_reminder
from bot.checkin.state import CheckinState
from bot.checkin.timing import is_open, next_opening, schedule_of
from bot.digest.delivery import on_round_closed
from bot.members.profile_state import ONBOARDING_PATTERN
from bot.payloads import message_payload
from bot.purpose_keys import PromptKey, ReminderKey
from bot.rounds import questions
from bot.rounds.schedule import ReminderStage, missed_opening, parse_reminders, reminder_times
from bot.services import Services
from storage import rounds as store
from storage.tables import Participation, Round, RoundStatus

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ opening


async def open_round(
    session: AsyncSession,
    *,
    services: Services,
    now: dt.datetime,
    duration: dt.timedelta,
    scheduled_for: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    opened_by: int | None = None,
) -> Round | None:
    """Open a round and queue every active member's prompt; None if one is open already or
    this schedule slot was opened before (the caller commits, then wakes the outbox)."""
    if await store.current_round(session) is not None:
        return None
    if scheduled_for is not None and await store.round_for_slot(
        session, scheduled_for=scheduled_for
    ):
        return None
    question_set = await store.active_questions(session)
    if not question_set:
        logger.warning("round_not_opened reason=no_questions")
        return None
    round_, copies = await store.create_round(
        session,
        scheduled_for=scheduled_for,
        opened_at=now,
        closes_at=closes_at or now + duration,
        opened_by=opened_by,
        questions=question_set,
    )
    assert round_.id is not None
    services.round_cache.forget_after_commit(session)
    # Members still in their onboarding profile are asked once they finish it (their reply
    # would otherwise be taken as a profile field): see checkin.flows.invite_after_onboarding.
    members = await store.active_members(session, now=now, not_awaiting=ONBOARDING_PATTERN)
    session.add_all(Participation(round_id=round_.id, member_id=m.id) for m in members)  # type: ignore[arg-type]
    for member in members:
        assert member.id is not None
        text, markup = render_prompt(services, member, round_, copies)
        await services.outbox.enqueue(
            session,
            key=PromptKey(round_.id, member.id).encode(),
            chat_id=member.telegram_id,
            payload=message_payload(text, buttons=markup),
        )
    logger.info("round_opened number=%d members=%d", round_.number, len(members))
    return round_


# ------------------------------------------------------------------------------ closing


async def close_round(
    session: AsyncSession, *, services: Services, round_: Round, now: dt.datetime
) -> None:
    """Close `round_` and let the digest do its part in the same transaction."""
    assert round_.id is not None
    awaiting = CheckinState(round_.id).encode()
    await store.mark_closed(session, round_=round_, now=now, awaiting=awaiting)
    services.round_cache.forget_after_commit(session)
    await on_round_closed(session, services=services, round=round_)
    logger.info("round_closed number=%d", round_.number)


# ------------------------------------------------------------------------------ reminders


async def send_reminders(
    session: AsyncSession, *, services: Services, round_: Round, stage: str, now: dt.datetime
) -> int:
    """Queue a reminder for every active member who has not finished; once per stage and
    member (the purpose key), and never for paused or unreachable members (the query)."""
    assert round_.id is not None
    copies = await store.round_questions(session, round_id=round_.id)
    counts = await store.answer_counts(session, round_id=round_.id)
    queued = 0
    for member, participation in await store.unfinished_active_members(
        session, round_id=round_.id, now=now, not_awaiting=ONBOARDING_PATTERN
    ):
        assert member.id is not None
        if participation is None:
            await store.ensure_participation(session, round_id=round_.id, member_id=member.id)
        text, markup = render_reminder(
            services, member, round_, answered=counts.get(member.id, 0), total=len(copies)
        )
        queued += await services.outbox.enqueue(
            session,
            key=ReminderKey(round_.id, stage, member.id).encode(),
            chat_id=member.telegram_id,
            payload=message_payload(text, buttons=markup),
        )
    logger.info("round_reminders number=%d stage=%s queued=%d", round_.number, stage, queued)
    return queued


async def stage_ran(session: AsyncSession, *, round_id: int, stage: str) -> bool:
    """Was this reminder stage queued before (for anyone)?"""
    return await store.queued_with_prefix(session, prefix=ReminderKey.stage_prefix(round_id, stage))


# ------------------------------------------------------------------------------ start-up


@dataclass
class Plan:
    """What the job queue has to wait for, derived from the database and the settings."""

    next_opening: dt.datetime | None
    round_id: int | None = None
    closes_at: dt.datetime | None = None
    reminders: list[tuple[ReminderStage, dt.datetime]] = field(default_factory=list)


async def plan(session: AsyncSession, *, services: Services, now: dt.datetime) -> Plan:
    result = Plan(next_opening=next_opening(services, now))
    round_ = await store.current_round(session)
    if round_ is None:
        return result
    result.round_id, result.closes_at = round_.id, round_.closes_at
    result.reminders = reminder_times(
        parse_reminders(services.settings.checkin_reminders),
        opened_at=round_.opened_at,
        closes_at=round_.closes_at,
    )
    return result


async def catch_up(session: AsyncSession, *, services: Services, now: dt.datetime) -> bool:
    """Do what fell due while the bot was down; True if anything was queued.

    Seeds the default questions on a new database, closes a round whose time ran out, opens a
    scheduled round whose opening was missed, and sends the latest reminder stage that was due
    but never ran (only the latest: two reminders at once would be noise).
    """
    await questions.seed_defaults(session)
    since = await store.schedule_started_at(session, now=now)
    round_ = await store.current_round(session)
    if round_ is not None and not is_open(round_, now):
        await close_round(session, services=services, round_=round_, now=now)
        round_ = None
    changed = await _open_missed(session, services=services, now=now, since=since)
    round_ = round_ or await store.current_round(session)
    if round_ is not None and round_.id is not None:
        due = [
            stage
            for stage, when in (await plan(session, services=services, now=now)).reminders
            if when <= now
        ]
        if due and not await stage_ran(session, round_id=round_.id, stage=str(due[-1].number)):
            await send_reminders(
                session, services=services, round_=round_, stage=str(due[-1].number), now=now
            )
            changed = True
    return changed


async def _open_missed(
    session: AsyncSession, *, services: Services, now: dt.datetime, since: dt.datetime
) -> bool:
    schedule = schedule_of(services)
    if schedule is None:
        return False
    latest = await store.latest_round(session)
    last_end = None
    if latest is not None:
        last_end = latest.closed_at or latest.closes_at
    duration = services.settings.checkin_duration
    slot = missed_opening(
        schedule=schedule,
        tz=services.settings.tz,
        now=now,
        duration=duration,
        since=since,
        last_round_end=last_end,
        round_open=latest is not None and latest.status == RoundStatus.OPEN,
    )
    if slot is None:
        return False
    # The round keeps the window the schedule gave it, so it never runs into the next slot.
    opened = await open_round(
        session,
        services=services,
        now=now,
        duration=duration,
        scheduled_for=slot,
        closes_at=slot + duration,
    )
    return opened is not None
