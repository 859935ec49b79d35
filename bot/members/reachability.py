"""Whether the bot can reach a member at all: blocking the bot makes them unreachable (nothing
more is sent to them), unblocking undoes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.services import Services
from storage import members as member_store


async def set_reachable(services: Services, *, telegram_id: int, reachable: bool) -> None:
    """The member blocked (or unblocked) the bot in their private chat."""
    async with services.db.write() as session:
        await member_store.set_reachable(
            session, telegram_id=telegram_id, reachable=reachable, now=services.clock.now()
        )
        await session.commit()


async def mark_unreachable(session: Any, chat_id: int, now: dt.datetime) -> None:
    """Outbox hook: a 403 for a private chat means that member blocked the bot. Runs in the
    outbox's own transaction (it commits)."""
    await member_store.set_reachable(session, telegram_id=chat_id, reachable=False, now=now)
