"""After a meetup: "Was nimmst du mit?" — the member's answer is stored and shown in the next
digest. The member's dialogue points at the question once it has arrived (unless they are in
another dialogue; then a reply to the question message still counts)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import Delivered
from bot.meetups.rules import StageKind
from bot.purpose_keys import MeetupKey
from bot.services import Services
from bot.themes import lexicon_for
from storage import meetups as store
from storage import members as member_store
from storage import outbox as outbox_store
from storage.tables import Member, OutboxMessage

logger = logging.getLogger(__name__)

STATE_PREFIX = "meetup"
FEEDBACK_MAX = 1500


def state_of(meetup_id: int) -> str:
    """The dialogue position `Member.awaiting` holds while the follow-up is open."""
    return f"{STATE_PREFIX}:followup:{meetup_id}"


def meetup_of_state(awaiting: str | None) -> int | None:
    if not awaiting:
        return None
    parts = awaiting.split(":")
    if len(parts) != 3 or parts[0] != STATE_PREFIX or parts[1] != "followup":
        return None
    return int(parts[2]) if parts[2].isdigit() else None


async def question_delivered(
    session: AsyncSession, row: OutboxMessage, delivered: Delivered
) -> None:
    """The question arrived: the member's next message is taken as the answer."""
    key = MeetupKey.decode(row.purpose_key)
    if key is None or key.stage_name != StageKind.FOLLOWUP.value:
        return
    member = await member_store.get_member(session, telegram_id=row.chat_id)
    if member is not None and member.awaiting is None:
        member.awaiting = state_of(key.meetup_id)
        session.add(member)


async def asked_by_message(services: Services, *, chat_id: int, message_id: int) -> int | None:
    """The meetup whose follow-up question is the message `message_id` in the chat."""
    async with services.db.session() as session:
        row = await outbox_store.sent_as(session, chat_id=chat_id, message_id=message_id)
    key = MeetupKey.decode(row.purpose_key) if row is not None else None
    if key is None or key.stage_name != StageKind.FOLLOWUP.value:
        return None
    return key.meetup_id


@dataclass(frozen=True)
class Saved:
    language: str
    title: str
    too_long: bool = False


async def record(services: Services, *, member: Member, meetup_id: int, text: str) -> Saved | None:
    """Store the answer (a second one replaces the first); None if the meetup is gone."""
    assert member.id is not None
    if len(text) > FEEDBACK_MAX:
        return Saved(member.language, "", too_long=True)
    async with services.db.write() as session:
        meetup = await store.get_meetup(session, meetup_id=meetup_id)
        stored = await member_store.get_member(session, telegram_id=member.telegram_id)
        if stored is None:
            return None
        if stored.awaiting == state_of(meetup_id):
            stored.awaiting = None
            session.add(stored)
        if meetup is None:
            await session.commit()
            return None
        themes = lexicon_for(services.settings.checkin_themes_file).tag(text)
        await store.save_feedback(
            session,
            meetup_id=meetup_id,
            member_id=member.id,
            text=text,
            themes=themes,
            now=services.clock.now(),
        )
        await session.commit()
    logger.info("meetup_feedback meetup=%s themes=%s", meetup_id, ",".join(themes))
    return Saved(member.language, meetup.title)
