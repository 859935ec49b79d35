"""From `/broadcast` to the outbox: the draft with its preview, then "Senden" or "Abbrechen".

The draft is a `broadcast` row from the preview on, so a restart before "Senden" loses
nothing. On "Senden" the recipients are fixed (the active members of the segment at that
moment, the number the coordinator confirmed) and one outbox row per recipient is queued in the
same transaction. A broadcast with `zeit=` is queued the same way, with the rows' `not_before`
at that time: the outbox holds it across restarts, so no job has to be armed for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.broadcasts import audience
from bot.broadcasts.model import rendered
from bot.broadcasts.syntax import BroadcastSpec
from bot.payloads import message_payload
from bot.purpose_keys import BroadcastKey
from bot.services import Services
from bot.ui import Problem
from storage import broadcasts as store
from storage.tables import Broadcast, BroadcastStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drafted:
    broadcast: Broadcast
    recipients: int  # as of now; fixed only at "Senden"
    cohort_name: str | None


@dataclass(frozen=True)
class Refused:
    problems: list[Problem]


async def draft(
    services: Services,
    *,
    spec: BroadcastSpec,
    coordinator_id: int,
    chat_id: int,
    message_id: int,
) -> Drafted | Refused:
    """Check the segment and store the draft; a redelivered command shows the same draft."""
    now = services.clock.now()
    request_key = f"{chat_id}:{message_id}"
    async with services.db.write() as session:
        broadcast = await store.broadcast_by_request(session, request_key=request_key)
        problems: list[Problem] = []
        cohort_id: int | None = None
        cohort_name: str | None = None
        region: str | None = None
        if broadcast is None:
            if spec.cohort is not None:
                cohort = await audience.resolve_cohort(session, spec.cohort)
                if isinstance(cohort, Problem):
                    problems.append(cohort)
                else:
                    cohort_id, cohort_name = cohort.id, cohort.name
            if spec.region is not None:
                found = await audience.resolve_region(session, spec.region)
                if isinstance(found, Problem):
                    problems.append(found)
                else:
                    region = found
            if problems:
                return Refused(problems)
            broadcast = Broadcast(
                text=spec.text,
                cohort_id=cohort_id,
                region=region,
                send_at=spec.send_at,
                created_by=coordinator_id,
                chat_id=chat_id,
                request_key=request_key,
                created_at=now,
            )
        else:
            cohort_name = await audience.cohort_name(session, broadcast)
        members = await audience.recipients(session, broadcast=broadcast, now=now)
        if not members:
            return Refused([Problem("broadcasts.problem.nobody")])
        await store.add_broadcast(session, broadcast=broadcast)
        await session.commit()
    return Drafted(broadcast, len(members), cohort_name)


class Answer(StrEnum):
    QUEUED = "queued"
    ALREADY_QUEUED = "already_queued"  # a second press, or the press redelivered
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    NOBODY = "nobody"  # the segment emptied since the preview; the draft stays
    GONE = "gone"  # unknown, purged, or someone else's


@dataclass(frozen=True)
class Pressed:
    answer: Answer
    broadcast: Broadcast | None = None


async def send(services: Services, *, broadcast_id: int, telegram_id: int) -> Pressed:
    """ "Senden": queue one message per recipient, once, however often it is pressed."""
    now = services.clock.now()
    async with services.db.write() as session:
        broadcast = await store.get_broadcast(session, broadcast_id=broadcast_id)
        if broadcast is None or broadcast.created_by != telegram_id:
            return Pressed(Answer.GONE)
        if broadcast.status == BroadcastStatus.CONFIRMED:
            return Pressed(Answer.ALREADY_QUEUED, broadcast)
        if broadcast.status == BroadcastStatus.CANCELLED:
            return Pressed(Answer.ALREADY_CANCELLED, broadcast)
        members = await audience.recipients(session, broadcast=broadcast, now=now)
        if not members:
            return Pressed(Answer.NOBODY, broadcast)
        payload = message_payload(rendered(broadcast))
        for member in members:
            assert member.id is not None
            await services.outbox.enqueue(
                session,
                key=BroadcastKey(broadcast_id, member.id).encode(),
                chat_id=member.telegram_id,
                payload=payload,
                not_before=broadcast.send_at,
                respect_quiet_hours=True,  # the bot writes on its own to each member
            )
        broadcast.status, broadcast.confirmed_at = BroadcastStatus.CONFIRMED, now
        broadcast.recipients = len(members)
        session.add(broadcast)
        await session.commit()
    services.outbox.wake()
    logger.info("broadcast_queued broadcast=%s recipients=%d", broadcast_id, len(members))
    return Pressed(Answer.QUEUED, broadcast)


async def cancel(services: Services, *, broadcast_id: int, telegram_id: int) -> Pressed:
    """ "Abbrechen" on the preview: nothing is sent (a queued broadcast stays queued)."""
    async with services.db.write() as session:
        broadcast = await store.get_broadcast(session, broadcast_id=broadcast_id)
        if broadcast is None or broadcast.created_by != telegram_id:
            return Pressed(Answer.GONE)
        if broadcast.status == BroadcastStatus.CONFIRMED:
            return Pressed(Answer.ALREADY_QUEUED, broadcast)
        if broadcast.status == BroadcastStatus.DRAFT:
            broadcast.status = BroadcastStatus.CANCELLED
            broadcast.cancelled_at = services.clock.now()
            session.add(broadcast)
            await session.commit()
            return Pressed(Answer.CANCELLED, broadcast)
    return Pressed(Answer.ALREADY_CANCELLED, broadcast)
