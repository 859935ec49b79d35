"""One reminder per poll to the members of its audience who have not voted yet."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from markupsafe import Markup

from bot.checkin.timing import format_moment
from bot.payloads import message_payload
from bot.polls.create import audience_members
from bot.purpose_keys import PollKey
from bot.services import Services
from storage import polls as store
from storage.active_members import is_active_member
from storage.tables import Member, OutboxMessage, Poll, PollAudience

logger = logging.getLogger(__name__)


def group_link(chat_id: int, message_id: int | None) -> str | None:
    """A link to a message in a supergroup (t.me/c/...); plain groups have none."""
    text = str(chat_id)
    if message_id is None or not text.startswith("-100"):
        return None
    return f"https://t.me/c/{text[4:]}/{message_id}"


async def remind_non_voters(services: Services, *, poll_id: int) -> int:
    """Queue the reminders (once: `reminded_at` is set in the same transaction)."""
    now = services.clock.now()
    async with services.db.write() as session:
        poll = await store.get_poll(session, poll_id=poll_id)
        if poll is None or poll.closed_at is not None or poll.reminded_at is not None:
            return 0
        poll.reminded_at = now
        session.add(poll)
        voted = await store.voted_member_ids(session, poll_id=poll_id)
        copies = await store.copies_of(session, poll_id=poll_id)
        received = {copy.member_id for copy in copies if copy.message_id is not None}
        link = None
        if poll.audience == PollAudience.GROUP and copies:
            link = group_link(copies[0].chat_id, copies[0].message_id)
        queued = 0
        for member in await audience_members(session, poll=poll, now=now):
            if member.id is None or member.id in voted:
                continue
            if poll.audience != PollAudience.GROUP and member.id not in received:
                continue
            text = _reminder_text(services, poll, member.language, link)
            queued += await services.outbox.enqueue(
                session,
                key=PollKey.reminder(poll_id, member.id).encode(),
                chat_id=member.telegram_id,
                payload=message_payload(text),
            )
        await session.commit()
    services.outbox.wake()
    logger.info("poll_reminders poll=%s queued=%d", poll_id, queued)
    return queued


def _reminder_text(services: Services, poll: Poll, language: str, link: str | None) -> Markup:
    translate = services.translate
    lines = [translate(language, "polls.reminder", question=poll.question)]
    if poll.closes_at is not None:
        lines.append(
            translate(
                language,
                "polls.reminder.until",
                moment=format_moment(poll.closes_at, language, services),
            )
        )
    if poll.audience == PollAudience.GROUP:
        if link:
            lines.append(translate(language, "polls.reminder.in_group_link", link=link))
        else:
            lines.append(translate(language, "polls.reminder.in_group"))
    else:
        lines.append(translate(language, "polls.reminder.in_chat"))
    return Markup("\n").join(lines)


async def still_wanted(session: Any, row: OutboxMessage, now: dt.datetime) -> bool:
    """A poll's message is wanted while it is open; a reminder also while the member has not
    voted and is still active; stops and results always."""
    key = PollKey.decode(row.purpose_key)
    if key is None or key.kind in {"stop", "result"}:
        return True
    poll = await store.get_poll(session, poll_id=key.poll_id)
    if poll is None or poll.closed_at is not None:
        return False
    if poll.closes_at is not None and poll.closes_at <= now:
        return False
    member_id = key.member_id
    if key.kind == "remind" and member_id is not None:
        if member_id in await store.voted_member_ids(session, poll_id=key.poll_id):
            return False
        member = await session.get(Member, member_id)
        return member is not None and is_active_member(member, now)
    return True
