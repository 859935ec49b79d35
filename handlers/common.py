"""Small helpers every handler uses: the user's language, replying with a catalog text."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable

from markupsafe import Markup
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.members.roles import is_coordinator
from bot.paging import split_message
from handlers.context import BotContext
from storage import members as member_store
from storage.tables import Member


async def current_member(update: Update, context: BotContext) -> Member | None:
    """The consented member who sent the update (read in its own session), else None."""
    user = update.effective_user
    if user is None:
        return None
    async with context.services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
    return member if member is not None and member.consent_at is not None else None


async def language_of(update: Update, context: BotContext) -> str:
    """The member's chosen language, else what their Telegram app uses, else the default."""
    translate = context.services.translate
    user = update.effective_user
    if user is None:
        return translate.default_language
    async with context.services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
    if member is not None:
        return translate.language_for(member.language)
    return translate.language_for(user.language_code)


async def send_text(
    update: Update,
    context: BotContext,
    text: Markup | str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Answer in the chat the update came from (HTML; `text` must already be safe)."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await context.bot.send_message(
        chat.id, str(text), parse_mode=ParseMode.HTML, reply_markup=reply_markup
    )


async def send_long(
    update: Update,
    context: BotContext,
    sections: list[Markup] | list[str],
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> list[Message]:
    """Answer with long output split into numbered messages; buttons go on the last one."""
    parts = split_message([str(section) for section in sections])
    sent: list[Message] = []
    for index, part in enumerate(parts):
        markup = reply_markup if index == len(parts) - 1 else None
        message = await send_text(update, context, part, reply_markup=markup)
        if message is not None:
            sent.append(message)
    return sent


async def reply(
    update: Update,
    context: BotContext,
    key: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    **params: object,
) -> Message | None:
    """Answer with the catalog text `key` in the user's language; params are HTML-escaped."""
    language = await language_of(update, context)
    text = context.services.translate(language, key, **params)
    return await send_text(update, context, text, reply_markup=reply_markup)


async def remove_buttons(update: Update) -> None:
    """The message whose button was pressed loses its buttons, so it cannot be answered twice."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    with contextlib.suppress(TelegramError):  # an old or already edited message
        await query.edit_message_reply_markup(reply_markup=None)


Handler = Callable[[Update, BotContext], Awaitable[None]]


def coordinator_only(callback: Handler) -> Handler:
    """Run `callback` only for coordinators (checked at every call); others get a polite no."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: BotContext) -> None:
        user = update.effective_user
        allowed = False
        if user is not None:
            async with context.services.db.session() as session:
                allowed = await is_coordinator(
                    session, telegram_id=user.id, settings=context.services.settings
                )
        if allowed:
            await callback(update, context)
            return
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, context, "refusal.not_coordinator")

    return guarded
