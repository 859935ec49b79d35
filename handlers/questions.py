"""/questions for coordinators: list, add, edit, remove, reorder (applies from the next round)."""

from __future__ import annotations

from markupsafe import Markup
from telegram import Update

from bot.rounds import questions
from handlers.common import coordinator_only, language_of, reply, send_long
from handlers.context import BotContext


def _arguments(update: Update) -> str:
    """The text after `/questions` with its line breaks and spacing kept."""
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    return text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) > 1 else ""


@coordinator_only
async def questions_command(update: Update, context: BotContext) -> None:
    """Coordinators see the question set for the next round and change it."""
    try:
        command = questions.parse_command(_arguments(update))
    except questions.QuestionError as error:
        await reply(update, context, error.key, reply_markup=None, **error.params)
        await reply(update, context, "questions.usage")
        return
    services = context.services
    try:  # the use case has committed or rolled back before any reply: no send holds the lock
        current = await questions.change(services, command)
    except questions.QuestionError as refused:
        await reply(update, context, refused.key, reply_markup=None, **refused.params)
        return
    language = await language_of(update, context)
    t = services.translate
    head = t(language, f"questions.done.{command.action.value}", number=command.number or 0)
    lines = [
        t(language, "questions.item", number=index, text_de=q.text_de, text_en=q.text_en or "–")
        for index, q in enumerate(current, 1)
    ]
    body = Markup("\n").join(lines) if lines else t(language, "questions.empty")
    await send_long(update, context, [head, body, t(language, "questions.usage")])
