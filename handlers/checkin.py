"""The member's check-in in private chat: /checkin, answers, buttons (bot.checkin decides)."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest

from bot.checkin import flows
from bot.checkin.buttons import ButtonAction, CheckinButton
from bot.checkin.render import CheckinReply
from handlers.common import reply, send_text
from handlers.context import BotContext
from handlers.keyboards import to_markup
from storage.tables import Member

# The question is dealt with after these: its buttons go, so it cannot be pressed twice.
_SETTLING = frozenset({ButtonAction.SKIP, ButtonAction.LATER, ButtonAction.TRIM})


async def _send(update: Update, context: BotContext, answer: CheckinReply) -> None:
    query = update.callback_query
    if answer.edit and query is not None and query.message is not None:
        with contextlib.suppress(BadRequest):  # "not modified": the same choice pressed again
            await query.edit_message_text(str(answer.text), reply_markup=to_markup(answer.markup))
        return
    await send_text(update, context, answer.text, reply_markup=to_markup(answer.markup))


async def checkin_command(update: Update, context: BotContext) -> None:
    """The member gets their next unanswered question (or their summary)."""
    user = update.effective_user
    answer = await flows.start(context.services, telegram_id=user.id) if user else None
    if answer is None:
        await reply(update, context, "checkin.not_member")
        return
    await _send(update, context, answer)


async def on_text(update: Update, context: BotContext, member: Member) -> None:
    """The member's message is their answer; it is committed before the bot replies."""
    message = update.effective_message
    text = message.text if message is not None else None
    answer = await flows.take_text(services=context.services, member=member, text=text)
    await _send(update, context, answer)


async def fallback(update: Update, context: BotContext, member: Member | None) -> bool:
    """Free text from a member who was asked in the open round and has not finished."""
    if member is None:
        return False
    message = update.effective_message
    text = message.text if message is not None else None
    answer = await flows.answer_if_asked(context.services, member=member, text=text)
    if answer is None:
        return False
    await _send(update, context, answer)
    return True


async def on_button(update: Update, context: BotContext) -> None:
    """Skip, later, change an answer, choose the visibility, take a shortened answer."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    button = CheckinButton.decode(query.data)
    user = update.effective_user
    if button is None or user is None:
        await query.answer()
        return
    answer = await flows.press(context.services, telegram_id=user.id, button=button)
    await query.answer()
    if answer is None:
        await reply(update, context, "checkin.not_member")
        return
    if button.action in _SETTLING and query.message is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)
    await _send(update, context, answer)
