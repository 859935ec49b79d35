"""Which language each configured coordinator's command menu is published in."""

from __future__ import annotations

from bot.services import Services
from storage import members as member_store


async def coordinator_menu_languages(services: Services) -> list[tuple[int, str]]:
    """(chat id, language) for every coordinator named in COORDINATOR_IDS."""
    found: list[tuple[int, str]] = []
    async with services.db.session() as session:
        for coordinator_id in services.settings.coordinator_ids:
            member = await member_store.get_member(session, telegram_id=coordinator_id)
            language = services.translate.language_for(member.language if member else None)
            found.append((coordinator_id, language))
    return found
