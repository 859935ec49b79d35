"""How a broadcast went: counted from its recipients' outbox rows, shown by `/broadcast status`
at any time and sent to its coordinator once, when the last row is settled for good."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.broadcasts import audience, view
from bot.broadcasts.model import Tally
from bot.payloads import message_payload
from bot.purpose_keys import BroadcastKey
from bot.services import Services
from storage import broadcasts as store
from storage import members as member_store
from storage.tables import Broadcast, BroadcastStatus, DeliveryStatus, Member, OutboxMessage

logger = logging.getLogger(__name__)


async def tally(session: AsyncSession, broadcast: Broadcast) -> Tally:
    assert broadcast.id is not None
    rows = await store.copies(session, prefix=BroadcastKey.recipients_prefix(broadcast.id))
    waiting = [row for row in rows if row.status in store.UNSETTLED]

    def count(status: DeliveryStatus) -> int:
        return sum(row.status == status for row in rows)

    return Tally(
        recipients=broadcast.recipients,
        delivered=count(DeliveryStatus.SENT),
        unreachable=count(DeliveryStatus.UNREACHABLE),
        failed=count(DeliveryStatus.FAILED),
        waiting=len(waiting),
        withdrawn=count(DeliveryStatus.WITHDRAWN),
        next_due=min((row.not_before for row in waiting), default=None),
    )


async def status_text(services: Services, *, broadcast_id: int, language: str) -> Markup:
    """`/broadcast status N`: where broadcast N stands right now."""
    async with services.db.session() as session:
        broadcast = await store.get_broadcast(session, broadcast_id=broadcast_id)
        if broadcast is None:
            return services.translate(language, "broadcasts.unknown", number=broadcast_id)
        if broadcast.status != BroadcastStatus.CONFIRMED:
            key = f"broadcasts.status.{broadcast.status}"
            return services.translate(language, key, number=broadcast_id)
        counted = await tally(session, broadcast)
        cohort_name = await audience.cohort_name(session, broadcast)
    return view.report(services, language, broadcast, counted, cohort_name=cohort_name, final=False)


async def queue_finished_reports(services: Services, session: AsyncSession) -> int:
    """Queue the report of every confirmed broadcast whose rows are all settled and whose
    report is not queued yet; in the caller's transaction (it commits). Returns how many."""
    queued = 0
    for broadcast in await store.awaiting_report(session):
        assert broadcast.id is not None
        prefix = BroadcastKey.recipients_prefix(broadcast.id)
        if await store.unsettled_count(session, prefix=prefix):
            continue
        counted = await tally(session, broadcast)
        coordinator = await member_store.get_member(session, telegram_id=broadcast.created_by)
        language = services.translate.language_for(coordinator.language if coordinator else None)
        cohort_name = await audience.cohort_name(session, broadcast)
        text = view.report(
            services, language, broadcast, counted, cohort_name=cohort_name, final=True
        )
        await services.outbox.enqueue(
            session,
            key=BroadcastKey.report(broadcast.id).encode(),
            chat_id=broadcast.chat_id,
            payload=message_payload(str(text)),
            respect_quiet_hours=False,  # the answer to the coordinator's own "Senden"
        )
        broadcast.report_queued_at = services.clock.now()
        session.add(broadcast)
        queued += 1
        logger.info(
            "broadcast_done broadcast=%s delivered=%d unreachable=%d failed=%d withdrawn=%d",
            broadcast.id,
            counted.delivered,
            counted.unreachable,
            counted.failed,
            counted.withdrawn,
        )
    if queued:
        await session.flush()
    return queued


async def row_settled(services: Services, session: Any, row: OutboxMessage) -> None:
    """Outbox hook: a recipient's row is settled for good; was it the broadcast's last?"""
    key = BroadcastKey.decode(row.purpose_key)
    if key is not None and key.member_id is not None:
        await queue_finished_reports(services, session)


async def chat_unreachable(services: Services, session: Any, _chat_id: int, _now: Any) -> None:
    """Outbox hook: a blocked chat's other rows were settled with it, without their own hook."""
    await queue_finished_reports(services, session)


async def catch_up(services: Services) -> None:
    """At start: reports that fell due while no row settled (an erasure, an old crash)."""
    async with services.db.write() as session:
        queued = await queue_finished_reports(services, session)
        await session.commit()
    if queued:
        services.outbox.wake()


async def still_wanted(session: Any, row: OutboxMessage, now: dt.datetime) -> bool:
    """Outbox check when a recipient's row falls due: is the member still active?"""
    key = BroadcastKey.decode(row.purpose_key)
    if key is None or key.member_id is None:
        return True
    member = await session.get(Member, key.member_id)
    return audience.still_active(member, now)
