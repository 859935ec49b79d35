"""Small helpers every handler uses: the user's language, replying with a catalog text."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Sequence

from markupsafe import Markup
from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.members import lookup
from bot.members.notice import Notice
from bot.members.roles import may_coordinate
from bot.paging import split_message
from bot.ui import Problem, Reply
from handlers.context import BotContext
from handlers.keyboards import to_markup
from storage.tables import Member


async def current_member(update: Update, context: BotContext) -> Member | None:
    """The consented member who sent the update (read in its own session), else None."""
    user = update.effective_user
    if user is None:
        return None
    return await lookup.consented_member(context.services, telegram_id=user.id)


async def language_of(update: Update, context: BotContext) -> str:
    """The member's chosen language, else what their Telegram app uses, else the default."""
    user = update.effective_user
    if user is None:
        return context.services.translate.default_language
    return await lookup.language_of(
        context.services, telegram_id=user.id, telegram_language=user.language_code
    )


async def send_text(
    update: Update,
    context: BotContext,
    text: Markup | str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Answer in the chat the update came from (HTML; `text` must already be safe). In a group
    the answer is a reply to the command it answers, so it is clear whom it is for."""
    chat = update.effective_chat
    if chat is None:
        return None
    replying: ReplyParameters | None = None
    if chat.type != chat.PRIVATE and update.message is not None:
        replying = ReplyParameters(update.message.message_id, allow_sending_without_reply=True)
    return await context.bot.send_message(
        chat.id,
        str(text),
        parse_mode=ParseMode.HTML,
        reply_markup=reply_markup,
        reply_parameters=replying,
    )


def render_problems(
    context: BotContext,
    language: str,
    problems: Sequence[Problem],
    *,
    feature: str,
    usage: str,
    typed: str = "",
) -> Markup:
    """What is wrong, how to do it right, and what was typed, to copy and fix: the same shape
    for every command of a feature (`<feature>.problem.heading`, `<feature>.show_back`)."""
    translate = context.services.translate
    lines = [translate(language, f"{feature}.problem.heading")]
    lines += [Markup("• ") + translate(language, p.key, **p.params) for p in problems]
    lines.append(translate(language, usage))
    if typed.strip():
        lines.append(translate(language, f"{feature}.show_back", draft=typed.strip()))
    return Markup("\n").join(lines)


async def coordinator_id(update: Update, context: BotContext, *, quiet: bool = False) -> int | None:
    """The sender's id if they coordinate (checked at every call); others get a polite no
    (`quiet`: nothing)."""
    user = update.effective_user
    if user is not None and await may_coordinate(context.services, telegram_id=user.id):
        return user.id
    if not quiet:
        await reply(update, context, "refusal.not_coordinator")
    return None


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


async def send_reply(update: Update, context: BotContext, answer: Reply) -> Message | None:
    """Answer with what a use case prepared: its text and its buttons."""
    return await send_text(update, context, answer.text, reply_markup=to_markup(answer.buttons))


async def send_replies(update: Update, context: BotContext, answers: list[Reply]) -> None:
    for answer in answers:
        await send_reply(update, context, answer)


async def say(update: Update, context: BotContext, notice: Notice) -> Message | None:
    """Answer with a use case's catalog text in the user's language; params are HTML-escaped."""
    language = await language_of(update, context)
    text = context.services.translate(language, notice.key, **notice.params)
    return await send_text(update, context, text)


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
        if await coordinator_id(update, context, quiet=True) is not None:
            await callback(update, context)
            return
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, context, "refusal.not_coordinator")

    return guarded
