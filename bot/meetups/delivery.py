"""Everything a meetup sends, queued in the caller's transaction through the outbox.

Counts on the announcements are edited in place, paced: each copy has at most one edit
waiting; an RSVP that comes while one waits only changes what that edit will show, and a new
edit goes out no sooner than `MEETUP_EDIT_PACE` after the previous one.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import Delivered
from bot.meetups import view
from bot.meetups.calendar import calendar_file, filename_of
from bot.meetups.followup import question_delivered
from bot.meetups.rules import Counts, counts_of
from bot.payloads import document_payload, message_payload
from bot.purpose_keys import MeetupKey
from bot.services import Services
from bot.ui import keyboard_as_api
from storage import meetups as store
from storage import outbox as outbox_store
from storage.tables import (
    DeliveryStatus,
    Meetup,
    MeetupCopy,
    MeetupRsvp,
    Member,
    OutboxMessage,
    RsvpStatus,
)

logger = logging.getLogger(__name__)


class Board:
    """A meetup's RSVPs as loaded in one transaction: counts, and each member's own answer."""

    def __init__(self, rsvps: list[MeetupRsvp]) -> None:
        self.rsvps = rsvps
        self.by_member = {rsvp.member_id: rsvp for rsvp in rsvps}
        self.counts: Counts = counts_of([rsvp.status for rsvp in rsvps])

    @classmethod
    async def load(cls, session: AsyncSession, *, meetup_id: int) -> Board:
        return cls(list(await store.rsvps_of(session, meetup_id=meetup_id)))


def _render(
    services: Services, meetup: Meetup, board: Board, *, member: Member | None
) -> tuple[str, list[Any]]:
    translate, tz = services.translate, services.settings.tz
    if member is None:
        language = translate.default_language
        return view.announcement(translate, meetup, board.counts, language=language, tz=tz)
    rsvp = board.by_member.get(member.id or 0)
    return view.announcement(
        translate,
        meetup,
        board.counts,
        language=member.language,
        tz=tz,
        mine=RsvpStatus(rsvp.status) if rsvp else None,
        name_visible=rsvp.name_visible if rsvp else None,
        private=True,
    )


def announcement_payload(
    services: Services, meetup: Meetup, board: Board, *, member: Member | None
) -> dict[str, Any]:
    text, keyboard = _render(services, meetup, board, member=member)
    return message_payload(text, buttons=keyboard)


def calendar_payload(
    services: Services, meetup: Meetup, *, language: str, caption_key: str
) -> dict[str, Any]:
    content = calendar_file(meetup, tz=services.settings.tz, now=services.clock.now())
    caption = str(services.translate(language, caption_key, title=meetup.title))
    return document_payload(filename=filename_of(meetup), content=content, caption=caption)


async def queue_announcement(
    services: Services,
    session: AsyncSession,
    meetup: Meetup,
    board: Board,
    *,
    chat_id: int,
    member: Member | None,
) -> None:
    """The announcement and its calendar file in one chat (a group or a member's)."""
    assert meetup.id is not None
    await store.add_copy(
        session,
        meetup_id=meetup.id,
        chat_id=chat_id,
        member_id=member.id if member else None,
        version=meetup.counts_version,
    )
    private = member is not None
    language = member.language if member else services.translate.default_language
    await services.outbox.enqueue(
        session,
        key=MeetupKey.copy(meetup.id, chat_id).encode(),
        chat_id=chat_id,
        payload=announcement_payload(services, meetup, board, member=member),
        respect_quiet_hours=private,
    )
    await services.outbox.enqueue(
        session,
        key=MeetupKey.calendar(meetup.id, chat_id, meetup.sequence).encode(),
        chat_id=chat_id,
        payload=calendar_payload(
            services, meetup, language=language, caption_key="meetups.calendar.caption"
        ),
        method="send_document",
        respect_quiet_hours=private,
    )


async def queue_refreshes(
    services: Services, session: AsyncSession, meetup: Meetup, *, board: Board | None = None
) -> int:
    """Bring every delivered announcement to the meetup's current state (paced edits)."""
    assert meetup.id is not None
    board = board or await Board.load(session, meetup_id=meetup.id)
    members = {
        member.id: member for member in await store.members_of_copies(session, meetup_id=meetup.id)
    }
    queued = 0
    for copy in await store.copies_of(session, meetup_id=meetup.id):
        if copy.message_id is None or copy.shown_version >= meetup.counts_version:
            continue  # not delivered yet (its delivery brings it up to date), or current
        member = members.get(copy.member_id) if copy.member_id is not None else None
        if copy.member_id is not None and (member is None or not member.reachable):
            continue  # erased meanwhile, or blocked the bot: an edit would only fail
        await _queue_edit(services, session, meetup, copy, board, member=member)
        queued += 1
    return queued


async def _queue_edit(
    services: Services,
    session: AsyncSession,
    meetup: Meetup,
    copy: MeetupCopy,
    board: Board,
    *,
    member: Member | None,
) -> None:
    assert meetup.id is not None and copy.id is not None and copy.message_id is not None
    text, keyboard = _render(services, meetup, board, member=member)
    payload: dict[str, Any] = {
        "message_id": copy.message_id,
        "text": text,
        "reply_markup": keyboard_as_api(keyboard),
    }
    now = services.clock.now()
    previous: OutboxMessage | None = None
    if copy.refreshes:
        previous = await outbox_store.get_by_key(
            session, purpose_key=MeetupKey.edit(meetup.id, copy.id, copy.refreshes).encode()
        )
    copy.shown_version = meetup.counts_version
    session.add(copy)
    if previous is not None and previous.status == DeliveryStatus.PENDING:
        previous.payload = payload  # the waiting edit shows the latest state instead
        session.add(previous)
        return
    due = now
    if previous is not None:
        last = previous.sent_at or previous.not_before
        due = max(now, last + services.settings.meetup_edit_pace)
    copy.refreshes += 1
    await services.outbox.enqueue(
        session,
        key=MeetupKey.edit(meetup.id, copy.id, copy.refreshes).encode(),
        chat_id=copy.chat_id,
        payload=payload,
        method="edit_message_text",
        not_before=due,
        respect_quiet_hours=False,  # an edit makes no sound
    )


async def delivered(
    services: Services, session: AsyncSession, row: OutboxMessage, outcome: Delivered
) -> None:
    """What the outbox tells about a delivered meetup message (in its own transaction)."""
    await announcement_delivered(services, session, row, outcome)
    await question_delivered(services, session, row, outcome)


async def edit_settled(session: AsyncSession, row: OutboxMessage) -> None:
    """An edit that failed for good (the message was deleted, the group migrated, the member
    blocked the bot) gives the copy up: later answers do not try it again."""
    key = MeetupKey.decode(row.purpose_key)
    if key is None or key.copy_id is None:
        return
    if row.status not in (DeliveryStatus.FAILED, DeliveryStatus.UNREACHABLE):
        return
    copy = await session.get(MeetupCopy, key.copy_id)
    if copy is not None and copy.message_id is not None:
        logger.warning("meetup_copy_given_up meetup=%s copy=%s reason=%s", key.meetup_id,
                       copy.id, (row.error or "")[:80])  # fmt: skip
        copy.message_id = None
        session.add(copy)


async def refresh_own_copy(
    services: Services, session: AsyncSession, meetup: Meetup, *, member: Member
) -> None:
    """Only the member's own invitation changes (the name button): no edit of the others."""
    assert meetup.id is not None
    copy = await store.copy_in_chat(session, meetup_id=meetup.id, chat_id=member.telegram_id)
    if copy is None or copy.message_id is None:
        return
    board = await Board.load(session, meetup_id=meetup.id)
    await _queue_edit(services, session, meetup, copy, board, member=member)


async def announcement_delivered(
    services: Services, session: AsyncSession, row: OutboxMessage, delivered: Delivered
) -> None:
    """An announcement went out: remember its message (in the outbox's transaction), and bring
    it up to date at once if answers came in while it was on its way."""
    key = MeetupKey.decode(row.purpose_key)
    if key is None or key.kind != "copy":
        return
    copy = await store.copy_in_chat(session, meetup_id=key.meetup_id, chat_id=row.chat_id)
    meetup = await store.get_meetup(session, meetup_id=key.meetup_id)
    if copy is None or meetup is None:
        return  # erased meanwhile
    copy.message_id = delivered.message_id
    session.add(copy)
    if copy.shown_version < meetup.counts_version:
        board = await Board.load(session, meetup_id=key.meetup_id)
        member = await session.get(Member, copy.member_id) if copy.member_id else None
        await _queue_edit(services, session, meetup, copy, board, member=member)


async def queue_message(
    services: Services,
    session: AsyncSession,
    *,
    key: MeetupKey,
    chat_id: int,
    text: str,
    respect_quiet_hours: bool = True,
    not_before: dt.datetime | None = None,
) -> None:
    await services.outbox.enqueue(
        session,
        key=key.encode(),
        chat_id=chat_id,
        payload=message_payload(text),
        respect_quiet_hours=respect_quiet_hours,
        not_before=not_before,
    )


def log_queued(event: str, meetup: Meetup, count: int) -> None:
    logger.info("meetup_%s meetup=%s messages=%d", event, meetup.id, count)
