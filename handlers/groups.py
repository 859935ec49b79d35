"""The alumni group: /setgroup, and following the group when Telegram makes it a supergroup."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from handlers.common import coordinator_only, reply
from handlers.context import BotContext
from storage import chats as chat_store

GROUP_TYPES = {ChatType.GROUP, ChatType.SUPERGROUP}


@coordinator_only
async def setgroup_command(update: Update, context: BotContext) -> None:
    """In a group: this becomes the one place for digests, polls and meetup posts."""
    chat = update.effective_chat
    if chat is None or chat.type not in GROUP_TYPES:
        await reply(update, context, "group.only_in_group")
        return
    async with context.services.db.write() as session:
        previous = await chat_store.alumni_group(session)
        if previous is not None and previous.telegram_id != chat.id:
            previous.is_alumni_group = False
            session.add(previous)
        stored = await chat_store.upsert_chat(
            session, telegram_id=chat.id, type=chat.type, title=chat.title
        )
        stored.is_alumni_group = True
        session.add(stored)
        await session.commit()
    replaced = previous is not None and previous.telegram_id != chat.id
    await reply(
        update,
        context,
        "group.set_replaced" if replaced else "group.set",
        title=chat.title or "",
        previous=previous.title if previous and previous.title else "",
    )


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
    async with context.services.db.write() as session:
        await chat_store.migrate_chat(session, old_chat_id=old, new_chat_id=new)
        await session.commit()
