"""After a meetup: "Was nimmst du mit?" — the member's answer is stored and shown in the next
digest. The member's dialogue points at the question once it has arrived (unless they are in
another dialogue; then a reply to the question message still counts)."""

from __future__ import annotations

import datetime as dt
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


# The question stays open this long: a later message is more likely meant for something else.
OPEN_FOR = dt.timedelta(days=2)


@dataclass(frozen=True)
class FollowupState:
    """`Member.awaiting` while the follow-up question is open: `meetup:followup:<id>:<until>`."""

    meetup_id: int
    until: int  # epoch seconds

    def encode(self) -> str:
        return f"{STATE_PREFIX}:followup:{self.meetup_id}:{self.until}"

    @classmethod
    def decode(cls, awaiting: str | None) -> FollowupState | None:
        parts = (awaiting or "").split(":")
        if len(parts) != 4 or parts[0] != STATE_PREFIX or parts[1] != "followup":
            return None
        if not (parts[2].isdigit() and parts[3].isdigit()):
            return None
        return cls(int(parts[2]), int(parts[3]))


async def open_question(services: Services, *, member: Member) -> int | None:
    """The meetup whose follow-up the member's message answers; an expired question is
    closed (None), so the message is read as if no dialogue were open."""
    state = FollowupState.decode(member.awaiting)
    if state is not None and state.until > services.clock.now().timestamp():
        return state.meetup_id
    async with services.db.write() as session:
        stored = await member_store.get_member(session, telegram_id=member.telegram_id)
        if stored is not None and stored.awaiting == member.awaiting:
            stored.awaiting = None
            session.add(stored)
            await session.commit()
    return None


async def question_delivered(
    services: Services, session: AsyncSession, row: OutboxMessage, delivered: Delivered
) -> None:
    """The question arrived: the member's next message is taken as the answer."""
    key = MeetupKey.decode(row.purpose_key)
    if key is None or not _is_followup(key):
        return
    member = await member_store.get_member(session, telegram_id=row.chat_id)
    if member is not None and member.awaiting is None:
        until = int((services.clock.now() + OPEN_FOR).timestamp())
        member.awaiting = FollowupState(key.meetup_id, until).encode()
        session.add(member)


async def asked_by_message(services: Services, *, chat_id: int, message_id: int) -> int | None:
    """The meetup whose follow-up question is the message `message_id` in the chat."""
    async with services.db.session() as session:
        row = await outbox_store.sent_as(session, chat_id=chat_id, message_id=message_id)
    key = MeetupKey.decode(row.purpose_key) if row is not None else None
    if key is None or not _is_followup(key):
        return None
    return key.meetup_id


def _is_followup(key: MeetupKey) -> bool:
    return (key.stage_name or "").startswith(StageKind.FOLLOWUP.value)


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
        state = FollowupState.decode(stored.awaiting)
        if state is not None and state.meetup_id == meetup_id:
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
