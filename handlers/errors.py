"""The last line of defence: log the failure in full, tell the user kindly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.services import BotContext
from handlers.common import reply

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """The user hears that something went wrong and that what they sent is saved."""
    update_text = update.to_json() if isinstance(update, Update) else repr(update)
    logger.error("update_failed update=%s", update_text, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, context, "error.generic")
    except TelegramError:
        logger.warning("error_reply_failed chat=%s", update.effective_chat.id)
    except Exception:
        logger.exception("error_reply_crashed")
