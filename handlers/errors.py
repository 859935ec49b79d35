"""The last line of defence: log what failed (ids only), tell the user kindly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from handlers.common import reply
from handlers.context import BotContext

logger = logging.getLogger(__name__)


def _update_kind(update: Update) -> str:
    """Which field of the update is set ("message", "callback_query", ...)."""
    fields = update.to_dict()
    return next((name for name in fields if name != "update_id"), "unknown")


async def on_error(update: object, context: BotContext) -> None:
    """The user hears that something went wrong and that what they sent is saved.

    The log names the update by its ids only: logs are outside /forget and RETENTION, so no
    text, name or answer of a member goes there.
    """
    if isinstance(update, Update):
        chat, user = update.effective_chat, update.effective_user
        logger.error(
            "update_failed update_id=%s type=%s chat=%s user=%s",
            update.update_id,
            _update_kind(update),
            chat.id if chat else None,
            user.id if user else None,
            exc_info=context.error,
        )
    else:
        logger.error("update_failed type=%s", type(update).__name__, exc_info=context.error)
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
