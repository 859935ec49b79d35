"""The one ordered place where every handler is registered.

Order matters: group -1 sees every update first (bookkeeping that must not block others);
group 0 holds commands before free text, so a command always wins over "answer the question".
"""

from __future__ import annotations

from telegram.ext import CommandHandler, MessageHandler, filters

from bot.services import AlumniApplication
from handlers import errors, start
from handlers.text import TextRouter

PRIVATE = filters.ChatType.PRIVATE


def register_handlers(application: AlumniApplication) -> None:
    # --- commands in private chats
    application.add_handler(CommandHandler("start", start.start, filters=PRIVATE))
    application.add_handler(CommandHandler("help", start.help_command, filters=PRIVATE))

    # --- free text and media in private chats, routed by where the member's dialogue stands
    router = TextRouter()
    application.add_handler(MessageHandler(PRIVATE & ~filters.COMMAND, router.handle))

    application.add_error_handler(errors.on_error)


async def on_startup(application: AlumniApplication) -> None:
    """Re-arm what lives in the database (schedules, pending deliveries) after a (re)start."""
