"""/broadcast: a coordinator's message to a segment of the alumni, previewed, then sent."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.broadcasts import compose, report, view
from bot.broadcasts.buttons import BroadcastAction, BroadcastButton
from bot.broadcasts.compose import Answer, Refused
from bot.broadcasts.syntax import is_help, parse_command
from bot.numbers import parse_number
from handlers.common import (
    coordinator_only,
    language_of,
    render_problems,
    reply,
    send_replies,
    send_text,
)
from handlers.context import BotContext
from handlers.polls import command_arguments

logger = logging.getLogger(__name__)

STATUS_WORDS = frozenset({"status", "stand", "bericht", "report"})
# What a press answers when it changes nothing: a toast, the message stays as it is.
PRESS_TOASTS = {
    Answer.ALREADY_QUEUED: "broadcasts.toast.already_queued",
    Answer.ALREADY_CANCELLED: "broadcasts.toast.already_cancelled",
    Answer.GONE: "button.outdated",
}


@coordinator_only
async def broadcast_command(update: Update, context: BotContext) -> None:
    """`/broadcast [jahrgang=…] [region=…] [zeit=…] Text` shows a preview with "Senden";
    `/broadcast status N` shows how broadcast N went; coordinators only, everywhere."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    text = command_arguments(message.text or "")
    words = text.split()
    if is_help(text):
        await reply(update, context, "broadcasts.usage")
    elif words[0].casefold() in STATUS_WORDS:
        await _status(update, context, words[1:])
    elif chat.type != chat.PRIVATE:
        await reply(update, context, "broadcasts.private_only")
    else:
        await _preview(update, context, text)


async def _status(update: Update, context: BotContext, args: list[str]) -> None:
    number = parse_number(args[0].lstrip("#")) if args else None
    if number is None:
        await reply(update, context, "broadcasts.usage.status")
        return
    language = await language_of(update, context)
    text = await report.status_text(context.services, broadcast_id=number, language=language)
    await send_text(update, context, text)


async def _preview(update: Update, context: BotContext, text: str) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    services = context.services
    language = await language_of(update, context)
    parsed = parse_command(text, now=services.clock.now(), tz=services.settings.tz)
    outcome = (
        Refused(parsed.problems)
        if parsed.spec is None
        else await compose.draft(
            services,
            spec=parsed.spec,
            coordinator_id=user.id,
            chat_id=chat.id,
            message_id=message.message_id,
        )
    )
    if isinstance(outcome, Refused):
        await send_text(
            update,
            context,
            render_problems(
                context,
                language,
                outcome.problems,
                feature="broadcasts",
                usage="broadcasts.usage.short",
                typed=text,
            ),
        )
        return
    await send_replies(
        update,
        context,
        view.preview(
            services,
            language,
            outcome.broadcast,
            recipients=outcome.recipients,
            cohort_name=outcome.cohort_name,
        ),
    )


@coordinator_only
async def on_button(update: Update, context: BotContext) -> None:
    """ "Senden" queues the broadcast (once, however often pressed); "Abbrechen" drops it."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    pressed = BroadcastButton.decode(query.data)
    if pressed is None:
        await query.answer()
        return
    services = context.services
    language = await language_of(update, context)
    use_case = compose.send if pressed.action is BroadcastAction.SEND else compose.cancel
    outcome = await use_case(services, broadcast_id=pressed.broadcast_id, telegram_id=user.id)
    toast = PRESS_TOASTS.get(outcome.answer)
    if toast is not None or outcome.broadcast is None:
        await query.answer(str(services.translate(language, toast or "button.outdated")))
        return
    await query.answer()
    if outcome.answer is Answer.NOBODY:
        await reply(update, context, "broadcasts.problem.nobody")
        return
    if outcome.answer is Answer.QUEUED:
        text = view.queued(services, language, outcome.broadcast)
    else:
        text = services.translate(language, "broadcasts.cancelled", number=pressed.broadcast_id)
    with contextlib.suppress(TelegramError):  # an old message, or the text is unchanged
        await query.edit_message_text(str(text), reply_markup=None)
