"""Rounds: open, close, remind, report status, and what the schedule has to do at start-up.

Everything sent on the bot's own initiative is enqueued in the outbox inside the transaction
that causes it, under a purpose key per round, stage and member, so a restart never sends twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import checkin, digest, questions
from bot.checkin import is_open, next_opening, schedule_of
from bot.outbox import message_payload
from bot.schedule import ReminderStage, missed_opening, parse_reminders, reminder_times
from bot.services import Services
from storage import rounds as store
from storage.tables import Member, OutboxMessage, Participation, Round, RoundStatus

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ opening


def reminder_prefix(round_id: int, stage: str) -> str:
    return f"checkin:round:{round_id}:remind:{stage}:"


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
    # would otherwise be taken as a profile field): see checkin.invite_after_onboarding.
    members = await store.active_members(session, now=now, not_awaiting=checkin.ONBOARDING)
    session.add_all(Participation(round_id=round_.id, member_id=m.id) for m in members)  # type: ignore[arg-type]
    for member in members:
        assert member.id is not None
        text, markup = checkin.render_prompt(services, member, round_, copies)
        await services.outbox.enqueue(
            session,
            key=checkin.prompt_key(round_.id, member.id),
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
    await store.mark_closed(session, round_=round_, now=now)
    services.round_cache.forget_after_commit(session)
    await digest.on_round_closed(session, services=services, round=round_)
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
        session, round_id=round_.id, now=now, not_awaiting=checkin.ONBOARDING
    ):
        assert member.id is not None
        if participation is None:
            await store.ensure_participation(session, round_id=round_.id, member_id=member.id)
        text, markup = checkin.render_reminder(
            services, member, round_, answered=counts.get(member.id, 0), total=len(copies)
        )
        queued += await services.outbox.enqueue(
            session,
            key=f"{reminder_prefix(round_.id, stage)}member:{member.id}",
            chat_id=member.telegram_id,
            payload=message_payload(text, buttons=markup),
        )
    logger.info("round_reminders number=%d stage=%s queued=%d", round_.number, stage, queued)
    return queued


# ------------------------------------------------------------------------------ when due

# What `prompt_key` and `reminder_prefix` build: the round, and the member prompted or reminded.
_QUEUED_KEY = re.compile(
    r"^checkin:round:([0-9]+):(?:member:([0-9]+):prompt|remind:[^:]+:member:([0-9]+))$"
)


async def still_wanted(session: AsyncSession, row: OutboxMessage, now: dt.datetime) -> bool:
    """Asked by the outbox when a queued prompt or reminder falls due (quiet hours may have
    held it back for hours): the round must still be open and the member active (consented,
    reachable, not paused); a prompt only if the member has not started answering (via
    /checkin), a reminder only if they have not finished."""
    match = _QUEUED_KEY.match(row.purpose_key)
    if match is None:
        return True
    round_text, prompt_member, reminded_member = match.groups()
    round_id, member_id = int(round_text), int(prompt_member or reminded_member)
    round_ = await store.get_round(session, round_id=round_id)
    member = await session.get(Member, member_id)
    if round_ is None or not is_open(round_, now) or member is None:
        return False
    paused = member.paused_until is not None and member.paused_until > now
    if member.consent_at is None or not member.reachable or paused:
        return False
    if prompt_member is not None:
        return not await store.has_answers(session, round_id=round_id, member_id=member_id)
    participation = await store.get_participation(session, round_id=round_id, member_id=member_id)
    return participation is None or participation.finished_at is None


async def stage_ran(session: AsyncSession, *, round_id: int, stage: str) -> bool:
    return await store.queued_with_prefix(session, prefix=reminder_prefix(round_id, stage))


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


# ------------------------------------------------------------------------------ status


@dataclass
class CohortStatus:
    name: str
    asked: int = 0
    finished: int = 0
    started: int = 0
    missing: list[str] = field(default_factory=list)


@dataclass
class RoundReport:
    round: Round
    cohorts: list[CohortStatus]

    @property
    def asked(self) -> int:
        return sum(c.asked for c in self.cohorts)

    @property
    def finished(self) -> int:
        return sum(c.finished for c in self.cohorts)

    @property
    def started(self) -> int:
        return sum(c.started for c in self.cohorts)


def member_label(member: Member) -> str:
    name = member.display_name or (f"@{member.username}" if member.username else "?")
    return f"{name} ({member.region})" if member.region else name


async def report(session: AsyncSession, *, round_: Round, no_cohort: str) -> RoundReport:
    """Answered x of y, per cohort, and who is missing."""
    assert round_.id is not None
    counts = await store.answer_counts(session, round_id=round_.id)
    cohorts: dict[str, CohortStatus] = defaultdict(lambda: CohortStatus(""))
    for participation, member, cohort in await store.participants(session, round_id=round_.id):
        name = cohort.name if cohort else no_cohort
        status = cohorts[name]
        status.name = name
        status.asked += 1
        if participation.finished_at is not None:
            status.finished += 1
        else:
            status.missing.append(member_label(member))
            if counts.get(member.id or 0):
                status.started += 1
    return RoundReport(round_, sorted(cohorts.values(), key=lambda c: c.name))
