"""The alumni group: the one group for digests, polls and meetup posts, followed when Telegram
gives it a new id, and unlinked when the bot leaves it."""

from __future__ import annotations

import logging

from bot.members.notice import Notice
from bot.services import Services
from storage import chats as chat_store

logger = logging.getLogger(__name__)


async def make_alumni_group(
    services: Services, *, chat_id: int, chat_type: str, title: str | None
) -> Notice:
    """/setgroup in a group: this group replaces the previous alumni group (if any)."""
    async with services.db.write() as session:
        previous = await chat_store.alumni_group(session)
        replaced = previous is not None and previous.telegram_id != chat_id
        if previous is not None and replaced:
            previous.is_alumni_group = False
            session.add(previous)
        stored = await chat_store.upsert_chat(
            session, telegram_id=chat_id, type=chat_type, title=title
        )
        stored.is_alumni_group = True
        session.add(stored)
        await session.commit()
    params = {
        "title": title or "",
        "previous": previous.title if previous and previous.title else "",
    }
    return Notice("group.set_replaced" if replaced else "group.set", params)


async def follow_migration(services: Services, *, old_chat_id: int, new_chat_id: int) -> None:
    """Group → supergroup: Telegram gives it a new id; everything stored follows it."""
    async with services.db.write() as session:
        await chat_store.migrate_chat(session, old_chat_id=old_chat_id, new_chat_id=new_chat_id)
        await session.commit()


async def bot_left_group(services: Services, *, chat_id: int) -> None:
    """The bot left or was removed from a group; if it was the alumni group, it is unlinked."""
    async with services.db.write() as session:
        unlinked = await chat_store.unlink_alumni_group(session, telegram_id=chat_id)
        await session.commit()
    if unlinked is not None:
        # No digest can reach the group any more until a coordinator runs /setgroup again.
        logger.warning("alumni_group_unlinked chat=%s reason=bot_removed", chat_id)
