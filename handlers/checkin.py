"""The member's check-in in private chat: /checkin, answers, buttons (bot.checkin decides)."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest

from bot import checkin
from bot.checkin import Reply
from bot.numbers import parse_number
from handlers.common import current_member, reply, send_text
from handlers.context import BotContext
from handlers.keyboards import to_markup
from storage.tables import Member


async def _send(update: Update, context: BotContext, answer: Reply) -> None:
    query = update.callback_query
    if answer.edit and query is not None and query.message is not None:
        with contextlib.suppress(BadRequest):  # "not modified": the same choice pressed again
            await query.edit_message_text(str(answer.text), reply_markup=to_markup(answer.markup))
        return
    await send_text(update, context, answer.text, reply_markup=to_markup(answer.markup))


async def checkin_command(update: Update, context: BotContext) -> None:
    """The member gets their next unanswered question (or their summary)."""
    member = await current_member(update, context)
    if member is None:
        await reply(update, context, "checkin.not_member")
        return
    services = context.services
    async with services.db.write() as session:
        stored = await session.get(Member, member.id)
        assert stored is not None
        answer = await checkin.start(session, services=services, member=stored)
        await session.commit()
    await _send(update, context, answer)


async def on_text(update: Update, context: BotContext, member: Member) -> None:
    """The member's message is their answer; it is committed before the bot replies."""
    message = update.effective_message
    text = message.text if message is not None else None
    answer = await checkin.take_text(services=context.services, member=member, text=text)
    await _send(update, context, answer)


async def fallback(update: Update, context: BotContext, member: Member | None) -> bool:
    """Free text from a member who was asked in the open round and has not finished."""
    if member is None or member.consent_at is None:
        return False
    claimed = await checkin.has_open_question(context.services, member=member)
    if claimed:
        await on_text(update, context, member)
    return claimed


async def on_button(update: Update, context: BotContext) -> None:
    """Skip, later, change an answer, choose the visibility, take a shortened answer."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    parts = query.data.split(":")
    ident = parse_number(parts[2]) if len(parts) >= 3 else None
    if ident is None:
        await query.answer()
        return
    member = await current_member(update, context)
    if member is None:
        await query.answer()
        await reply(update, context, "checkin.not_member")
        return
    services = context.services
    async with services.db.write() as session:
        stored = await session.get(Member, member.id)
        assert stored is not None
        answer = await checkin.button(
            session,
            services=services,
            member=stored,
            action=parts[1],
            ident=ident,
            value=parts[3] if len(parts) > 3 else None,
        )
        await session.commit()
    await query.answer()
    if parts[1] in ("skip", "later", "trim") and query.message is not None:
        # The question is dealt with: its buttons go, so an old message cannot be pressed twice.
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)
    await _send(update, context, answer)
