"""Waiting for the outbox without sleeping: every wait is on the worker's finished cycles."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sandbox.harness import Harness
from storage import outbox as outbox_store
from storage.tables import DeliveryStatus, OutboxMessage

BUSY = {DeliveryStatus.PENDING, DeliveryStatus.RESERVED, DeliveryStatus.SENDING}


async def outbox_rows(bot: Harness, prefix: str = "") -> list[OutboxMessage]:
    async with bot.services.db.session() as session:
        return list(await outbox_store.messages_with_prefix(session, prefix=prefix))


async def until_outbox(
    bot: Harness,
    condition: Callable[[list[OutboxMessage]], bool],
    what: str,
    *,
    prefix: str = "",
    timeout: float = 5.0,
) -> list[OutboxMessage]:
    """The rows under `prefix` once `condition` holds; re-read after each delivery cycle."""
    outbox = bot.services.outbox
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        cycles = outbox.cycles
        rows = await outbox_rows(bot, prefix)
        if condition(rows):
            return rows
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            found = [(row.purpose_key, row.status) for row in rows]
            raise AssertionError(f"waited {timeout}s for {what}; outbox: {found}")
        with contextlib.suppress(TimeoutError):
            await outbox.wait_for_cycle(after=cycles, timeout=remaining)


async def settled_rows(bot: Harness, prefix: str = "") -> list[OutboxMessage]:
    """The rows under `prefix` once there are some and none is pending or in flight (the
    sandbox may see a message a moment before the outbox records it as sent)."""
    return await until_outbox(
        bot,
        lambda rows: bool(rows) and not any(row.status in BUSY for row in rows),
        f"the outbox rows {prefix!r} to settle",
        prefix=prefix,
    )
