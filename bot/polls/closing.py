"""Closing a poll: by a coordinator or at its close time, exactly once, also after a restart.

The close is one transaction (mark closed, stop every native copy); the result follows in a
second one that marks `result_queued_at`, so a crash in between still posts it on start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.payloads import document_payload, message_payload
from bot.polls import results
from bot.purpose_keys import PollKey
from bot.services import Services
from storage import members as member_store
from storage import polls as store
from storage.tables import Poll

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Closed:
    poll: Poll
    already: bool  # it was closed before


async def close_poll(services: Services, *, poll_id: int, closed_by: int | None) -> Closed | None:
    """Close the poll and post its result where it was asked; None for an unknown poll."""
    async with services.db.write() as session:
        poll = await store.get_poll(session, poll_id=poll_id)
        if poll is None:
            return None
        if poll.closed_at is not None:
            return Closed(poll, already=True)
        poll.closed_at, poll.closed_by = services.clock.now(), closed_by
        session.add(poll)
        for copy in await store.copies_of(session, poll_id=poll_id):
            if copy.message_id is None or copy.id is None:
                continue  # not sent yet: the outbox withdraws it (no longer wanted)
            await services.outbox.enqueue(
                session,
                key=PollKey.stop(poll_id, copy.id).encode(),
                chat_id=copy.chat_id,
                payload={"message_id": copy.message_id},
                method="stop_poll",
                respect_quiet_hours=False,
            )
        await session.commit()
    logger.info("poll_closed poll=%s by=%s", poll_id, "coordinator" if closed_by else "schedule")
    await post_result(services, poll_id=poll_id)
    return Closed(poll, already=False)


async def post_result(services: Services, *, poll_id: int) -> None:
    """Queue the final result (text and chart) once; nothing if it was queued already."""
    async with services.db.session() as session:
        poll = await store.get_poll(session, poll_id=poll_id)
        if poll is None or poll.result_queued_at is not None:
            return
        result = await results.tally(session, poll=poll)
        asker = await member_store.get_member(session, telegram_id=poll.created_by)
    # The result goes where the poll was asked: in the language of the group's default, or of
    # the coordinator who asked privately.
    language = services.translate.language_for(
        asker.language if asker is not None and poll.result_chat_id == poll.created_by else None
    )
    text = results.render(poll, result, services.translate, language, final=True, with_names=False)
    chart = await results.chart_png(poll, result, services.translate, language)
    async with services.db.write() as session:
        stored = await store.get_poll(session, poll_id=poll_id)
        if stored is None or stored.result_queued_at is not None:
            return
        stored.result_queued_at = services.clock.now()
        session.add(stored)
        await services.outbox.enqueue(
            session,
            key=PollKey.result(poll_id, "text").encode(),
            chat_id=poll.result_chat_id,
            payload=message_payload(text),
            respect_quiet_hours=False,
        )
        await services.outbox.enqueue(
            session,
            key=PollKey.result(poll_id, "chart").encode(),
            chat_id=poll.result_chat_id,
            payload=document_payload(filename=f"umfrage-{poll_id}.png", content=chart),
            method="send_photo",
            respect_quiet_hours=False,
        )
        await session.commit()
    services.outbox.wake()


async def catch_up(services: Services) -> int:
    """On start and when time jumps: close what is overdue, post results a crash held back."""
    now = services.clock.now()
    async with services.db.session() as session:
        overdue = [poll.id for poll in await store.overdue(session, now=now)]
        unposted = [poll.id for poll in await store.results_missing(session)]
    for poll_id in overdue:
        if poll_id is not None:
            await close_poll(services, poll_id=poll_id, closed_by=None)
    for poll_id in unposted:
        if poll_id is not None:
            await post_result(services, poll_id=poll_id)
    return len(overdue)
