"""Is a queued prompt or reminder still worth sending? Asked by the outbox when one falls due."""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkin.timing import is_open
from bot.purpose_keys import PromptKey, ReminderKey, ResumeKey
from storage import rounds as store
from storage.active_members import is_active_member
from storage.tables import Member, OutboxMessage


async def still_wanted(session: AsyncSession, row: OutboxMessage, now: dt.datetime) -> bool:
    """Quiet hours may have held the message back for hours: the round must still be open and
    the member active; a prompt only if the member has not started answering (via /checkin),
    a reminder or a resumed question only if they have not finished. Keys of other formats are
    always wanted."""
    prompt = PromptKey.decode(row.purpose_key)
    reminder = ReminderKey.decode(row.purpose_key) if prompt is None else None
    resume = ResumeKey.decode(row.purpose_key) if prompt is None and reminder is None else None
    key = prompt or reminder or resume
    if key is None:
        return True
    round_ = await store.get_round(session, round_id=key.round_id)
    member = await session.get(Member, key.member_id)
    if round_ is None or not is_open(round_, now) or member is None:
        return False
    if not is_active_member(member, now):
        return False
    if prompt is not None:
        return not await store.has_answers(session, round_id=key.round_id, member_id=key.member_id)
    participation = await store.get_participation(
        session, round_id=key.round_id, member_id=key.member_id
    )
    return participation is None or participation.finished_at is None
