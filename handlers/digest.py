"""/digest for coordinators: the digest of a round, in the private chat or to the alumni group."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.digest.on_demand import on_demand
from bot.digest.options import OptionError
from handlers.common import coordinator_only, language_of, send_text
from handlers.context import BotContext


@coordinator_only
async def digest_command(update: Update, context: BotContext) -> None:
    """The coordinator gets the round's digest (or posts it to the group) as the options say."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    options = (message.text or "").partition(" ")[2]
    language = await language_of(update, context)
    try:
        outcome = await on_demand(
            context.services,
            text=options,
            language=language,
            chat_id=chat.id,
            message_id=message.message_id,
            # In a group only `gruppe` to that very (linked alumni) group: the coordinators'
            # version may hold coordinator-only answers and never goes into a group.
            in_group=chat.type != chat.PRIVATE,
        )
    except OptionError as error:
        await send_text(
            update, context, context.services.translate(language, error.key, **error.params)
        )
        return
    for part in outcome.messages:  # already split to Telegram's size and numbered
        await send_text(update, context, part)
    for file in outcome.files:
        await context.bot.send_document(
            chat.id, InputFile(file.content, filename=file.filename), caption=file.caption
        )
    for note in outcome.notes:
        await send_text(update, context, note)
