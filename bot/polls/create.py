"""Starting a poll: checked against Telegram's limits, then one native copy per chat queued in
the same transaction as the poll (a restart sends what is missing, never a copy twice)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.members.profile import match_cohort
from bot.polls.rules import PollSpec, problems_of, reminder_time
from bot.purpose_keys import PollKey
from bot.services import Services
from bot.ui import Problem
from storage import chats as chat_store
from storage import members as member_store
from storage import polls as store
from storage.active_members import active_member_clause
from storage.tables import Member, Poll, PollAudience

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    poll: Poll
    recipients: int  # private copies; 0 for a group poll
    in_group: bool


@dataclass(frozen=True)
class Refused:
    problems: list[Problem]


async def audience_members(session: AsyncSession, *, poll: Poll, now: dt.datetime) -> list[Member]:
    """Who a poll is for: the active members (of its cohort)."""
    query = select(Member).where(active_member_clause(now))
    if poll.audience == PollAudience.COHORT:
        query = query.where(col(Member.cohort_id) == poll.cohort_id)
    return list((await session.exec(query.order_by(col(Member.id)))).all())


def copy_payload(poll: Poll) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "question": poll.question,
        "options": list(poll.options),
        "is_anonymous": poll.anonymous,
        "allows_multiple_answers": poll.allows_multiple,
        "hide_results_until_closes": poll.hide_results,
    }
    if poll.closes_at is not None:
        # The sender turns it into Telegram's `close_date` if still inside Telegram's window
        # when the copy actually goes out.
        payload["closes_at"] = poll.closes_at.isoformat()
    return payload


async def start_poll(
    services: Services,
    *,
    spec: PollSpec,
    coordinator_id: int,
    chat_id: int,
    message_id: int,
    asked_in_group: bool,
) -> Started | Refused:
    """The coordinator's poll, checked and queued; a redelivered command changes nothing."""
    now = services.clock.now()
    problems = problems_of(spec, now=now)
    request_key = f"{chat_id}:{message_id}"
    async with services.db.write() as session:
        existing = await store.poll_by_request(session, request_key=request_key)
        if existing is not None:
            return Started(existing, 0, existing.audience == PollAudience.GROUP)
        cohort_id: int | None = None
        group_chat: int | None = None
        if spec.audience == PollAudience.COHORT:
            cohorts = list(await member_store.list_cohorts(session))
            cohort = match_cohort(spec.cohort or "", cohorts)
            if cohort is None:
                names = ", ".join(c.name for c in cohorts) or "–"
                problems.append(
                    Problem("polls.problem.unknown_cohort", {"given": spec.cohort, "names": names})
                )
            else:
                cohort_id = cohort.id
        elif spec.audience == PollAudience.GROUP:
            group = await chat_store.alumni_group(session)
            if group is None:
                problems.append(Problem("polls.problem.no_group"))
            elif asked_in_group and group.telegram_id != chat_id:
                problems.append(Problem("polls.problem.not_alumni_group"))
            else:
                group_chat = group.telegram_id
        if problems:
            return Refused(problems)
        rule = services.settings.poll_reminder_rule
        poll = Poll(
            question=spec.question,
            options=list(spec.options),
            allows_multiple=spec.allows_multiple,
            anonymous=spec.anonymous,
            hide_results=spec.hide_results,
            audience=spec.audience,
            cohort_id=cohort_id,
            created_by=coordinator_id,
            request_key=request_key,
            result_chat_id=group_chat if group_chat is not None else chat_id,
            created_at=now,
            closes_at=spec.closes_at,
            # Who has not voted is unknown in an anonymous poll: no reminders there.
            remind_at=None
            if spec.anonymous or rule is None
            else reminder_time(
                created_at=now, closes_at=spec.closes_at, share=rule.share, before=rule.before
            ),
        )
        await store.add_poll(session, poll=poll)
        assert poll.id is not None
        recipients = 0
        if group_chat is not None:
            await _queue_copy(services, session, poll, chat_id=group_chat, member_id=None)
        else:
            for member in await audience_members(session, poll=poll, now=now):
                await _queue_copy(
                    services, session, poll, chat_id=member.telegram_id, member_id=member.id
                )
                recipients += 1
            if recipients == 0:
                await session.rollback()
                return Refused([Problem("polls.problem.nobody")])
        await session.commit()
    services.outbox.wake()
    logger.info(
        "poll_started poll=%s audience=%s copies=%d", poll.id, poll.audience, max(recipients, 1)
    )
    return Started(poll, recipients, group_chat is not None)


async def _queue_copy(
    services: Services, session: AsyncSession, poll: Poll, *, chat_id: int, member_id: int | None
) -> None:
    assert poll.id is not None
    await store.add_copy(session, poll_id=poll.id, chat_id=chat_id, member_id=member_id)
    await services.outbox.enqueue(
        session,
        key=PollKey.copy(poll.id, chat_id).encode(),
        chat_id=chat_id,
        payload=copy_payload(poll),
        method="send_poll",
        # Asked for now by a coordinator: the group gets it at once; members' private chats
        # keep their quiet hours.
        respect_quiet_hours=member_id is not None,
    )
