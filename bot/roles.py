"""Who may do what. Checked at every call; never cached."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from storage import members as member_store


async def is_coordinator(session: AsyncSession, *, telegram_id: int, settings: Settings) -> bool:
    """Coordinators are named in COORDINATOR_IDS (bootstrap) or were given the role in the bot."""
    if telegram_id in settings.coordinator_ids:
        return True
    member = await member_store.get_member(session, telegram_id=telegram_id)
    return member is not None and member.is_coordinator
