"""Who is writing: the reads every handler needs before it knows what to do."""

from __future__ import annotations

from bot.services import Services
from storage import members as member_store
from storage.tables import Member


async def find_member(services: Services, *, telegram_id: int) -> Member | None:
    """The member row, consented or not."""
    async with services.db.session() as session:
        return await member_store.get_member(session, telegram_id=telegram_id)


async def consented_member(services: Services, *, telegram_id: int) -> Member | None:
    """The member, if they have consented (only then may anything about them be used)."""
    member = await find_member(services, telegram_id=telegram_id)
    return member if member is not None and member.consent_at is not None else None


async def language_of(
    services: Services, *, telegram_id: int, telegram_language: str | None
) -> str:
    """The member's chosen language, else what their Telegram app uses, else the default."""
    member = await find_member(services, telegram_id=telegram_id)
    if member is not None:
        return services.translate.language_for(member.language)
    return services.translate.language_for(telegram_language)
