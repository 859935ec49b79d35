"""The alumni group: /setgroup, and following the group when Telegram makes it a supergroup."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.members import groups
from handlers.common import coordinator_only, reply, say
from handlers.context import BotContext

GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}


@coordinator_only
async def setgroup_command(update: Update, context: BotContext) -> None:
    """In a group: this becomes the one place for digests, polls and meetup posts."""
    chat = update.effective_chat
    if chat is None or chat.type not in GROUP_TYPES:
        await reply(update, context, "group.only_in_group")
        return
    notice = await groups.make_alumni_group(
        context.services, chat_id=chat.id, chat_type=chat.type, title=chat.title
    )
    await say(update, context, notice)


async def on_migration(update: Update, context: BotContext) -> None:
    """Group → supergroup: Telegram gives it a new id; everything stored follows it."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await groups.follow_migration(context.services, old_chat_id=old, new_chat_id=new)
