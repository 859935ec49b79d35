"""/start and /help in a private chat."""

from __future__ import annotations

from telegram import Update

from bot.services import BotContext
from handlers.common import reply


async def start(update: Update, context: BotContext) -> None:
    """The member sees a short welcome and what the bot does."""
    user = update.effective_user
    await reply(update, context, "start.welcome", name=user.first_name if user else "")


async def help_command(update: Update, context: BotContext) -> None:
    """The member sees what they can do and whom to ask."""
    await reply(update, context, "help.text")
