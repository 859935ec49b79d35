"""Where a member's dialogue stands, for routing their free text (`Member.awaiting`).

Each feature keeps its own state format behind a prefix ("profile:…", "checkin:…"); only the
prefix is read here, the feature reads the rest.
"""

from __future__ import annotations

from bot.services import Services
from storage import members as member_store
from storage.tables import Member


async def member_for_message(services: Services, *, telegram_id: int) -> Member | None:
    """The member who wrote (consented or not), read in a session of its own."""
    async with services.db.session() as session:
        return await member_store.get_member(session, telegram_id=telegram_id)


def dialogue_of(member: Member | None) -> str | None:
    """The feature whose dialogue the member is in, None when in none."""
    if member is None or not member.awaiting:
        return None
    return member.awaiting.split(":", 1)[0]
