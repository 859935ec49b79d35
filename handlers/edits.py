"""Edits of messages already sent: the bot has already acted on the original."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from handlers.common import reply
from handlers.context import BotContext


async def on_edited_message(update: Update, context: BotContext) -> None:
    """The member hears how to change an answer; no edit is taken as a new message."""
    chat = update.effective_chat
    if chat is not None and chat.type == chat.PRIVATE:
        await reply(update, context, "edit.not_taken")
    raise ApplicationHandlerStop
