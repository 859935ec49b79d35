"""Digests of a round. (Being built; see issue "Digests".)"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import Services
from storage.tables import Round


async def on_round_closed(session: AsyncSession, *, services: Services, round: Round) -> None:
    """Called by the rounds feature inside the transaction that closes `round`.

    The digest feature enqueues the scheduled digest (group + every coordinator) here, exactly
    once per round, through the outbox.
    """
