"""After the bot died mid-round: members who were answering get their current question again.

A crash can eat the confirmation of an answer; without a word from the bot the member does not
know whether to type it again. Whoever answered shortly before the crash is shown where they
stand ("the next unanswered question"), once per last answer.
"""

from __future__ import annotations

import datetime as dt
import logging

from markupsafe import Markup

from bot.checkin.progress import load_progress
from bot.checkin.render import language_of, render_next
from bot.checkin.state import CheckinState
from bot.checkin.timing import is_open
from bot.payloads import message_payload
from bot.purpose_keys import ResumeKey
from bot.services import Services
from storage import rounds as store
from storage.active_members import is_active_member

logger = logging.getLogger(__name__)

# Who answered this shortly before the restart was in the middle of it.
RESUME_WINDOW = dt.timedelta(minutes=30)


async def resume_interrupted(services: Services) -> int:
    """Queue the current question for each member cut off by a crash; returns how many."""
    now = services.clock.now()
    queued = 0
    async with services.db.write() as session:
        round_ = await store.current_round(session)
        if round_ is None or round_.id is None or not is_open(round_, now):
            return 0
        recent = await store.recently_answering(
            session, round_id=round_.id, since=now - RESUME_WINDOW
        )
        for member, last_answer_at in recent:
            if member.id is None or not is_active_member(member, now):
                continue
            if CheckinState.decode(member.awaiting) is None and member.awaiting is not None:
                continue  # in another dialogue (the profile) now
            progress = await load_progress(session, round_=round_, member=member)
            reply = render_next(services, member, progress, saved=None)
            intro = services.translate(language_of(services, member), "checkin.resumed")
            queued += await services.outbox.enqueue(
                session,
                key=ResumeKey(round_.id, member.id, int(last_answer_at.timestamp())).encode(),
                chat_id=member.telegram_id,
                payload=message_payload(intro + Markup("\n\n") + reply.text, buttons=reply.markup),
                respect_quiet_hours=False,  # the member was in the chat minutes ago
            )
        await session.commit()
    if queued:
        logger.info("checkin_resumed members=%d", queued)
        services.outbox.wake()
    return queued
