"""Queries for the groups the bot is in."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import meetups as meetup_store
from storage import outbox as outbox_store
from storage.tables import Chat
from storage.types import utcnow


async def get_chat(session: AsyncSession, *, telegram_id: int) -> Chat | None:
    result = await session.exec(select(Chat).where(Chat.telegram_id == telegram_id))
    return result.first()


async def upsert_chat(
    session: AsyncSession, *, telegram_id: int, type: str, title: str | None
) -> Chat:
    chat = await get_chat(session, telegram_id=telegram_id)
    if chat is None:
        chat = Chat(telegram_id=telegram_id, type=type, title=title)
    else:
        chat.type, chat.title, chat.updated_at = type, title, utcnow()
    session.add(chat)
    await session.flush()
    return chat


async def alumni_group(session: AsyncSession) -> Chat | None:
    result = await session.exec(select(Chat).where(Chat.is_alumni_group == True))  # noqa: E712
    return result.first()


async def migrate_chat(session: AsyncSession, *, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: every stored reference follows the new id."""
    chat = await get_chat(session, telegram_id=old_chat_id)
    existing_new = await get_chat(session, telegram_id=new_chat_id)
    if chat is not None:
        if existing_new is not None and existing_new.id != chat.id:
            existing_new.is_alumni_group = existing_new.is_alumni_group or chat.is_alumni_group
            existing_new.migrated_from = old_chat_id
            session.add(existing_new)
            await session.delete(chat)
        else:
            chat.telegram_id, chat.type = new_chat_id, "supergroup"
            chat.migrated_from, chat.updated_at = old_chat_id, utcnow()
            session.add(chat)
    await outbox_store.move_chat(session, old_chat_id=old_chat_id, new_chat_id=new_chat_id)
    await meetup_store.move_chat(session, old_chat_id=old_chat_id, new_chat_id=new_chat_id)
    await session.flush()


async def unlink_alumni_group(session: AsyncSession, *, telegram_id: int) -> Chat | None:
    """The bot left or was removed from this chat: it is no longer the alumni group.

    Returns the chat if it was the alumni group (now unlinked), else None; the caller commits.
    """
    chat = await get_chat(session, telegram_id=telegram_id)
    if chat is None or not chat.is_alumni_group:
        return None
    chat.is_alumni_group, chat.updated_at = False, utcnow()
    session.add(chat)
    await session.flush()
    return chat
