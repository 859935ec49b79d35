"""Delivery under Telegram's limits: the sandbox enforces them, the bot never provokes a 429.

The limits are scaled (a higher overall rate, a shorter per-chat interval) so each test takes
about a second at most; the shape of each limit is Telegram's.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import factories
import pytest
from outbox_steps import settled_rows

from bot.payloads import message_payload
from sandbox.harness import Harness
from sandbox.limits import SandboxLimits
from storage.tables import DeliveryStatus

OVERALL_RATE = 60  # per second, for sandbox and bot alike (Telegram: 30; scaled for speed)
CHAT_BURST, CHAT_INTERVAL = 3, 0.05  # Telegram: a short burst, then about 1 per second


@pytest.fixture
def sandbox_limits() -> SandboxLimits:
    return SandboxLimits(
        messages_per_second=OVERALL_RATE,
        group_messages_per_minute=20,
        private_chat_burst=CHAT_BURST,
        private_chat_messages_per_second=1 / CHAT_INTERVAL,
    )


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # The bot is configured right at the sandbox's limits: any burst past them would show.
    return {
        "coordinator_ids": [],
        "send_rate_per_second": OVERALL_RATE,
        "send_chat_burst": CHAT_BURST,
        "send_chat_interval": dt.timedelta(seconds=CHAT_INTERVAL),
    }


async def enqueue_each(bot: Harness, messages: list[tuple[str, int, str]]) -> None:
    """Queue (key, chat, text) in one transaction, as a feature would, then wake the worker."""
    async with bot.services.db.write() as session:
        for key, chat_id, text in messages:
            await bot.services.outbox.enqueue(
                session, key=key, chat_id=chat_id, payload=message_payload(text)
            )
        await session.commit()
    bot.services.outbox.wake()


async def test_onboarding_and_deliveries_at_once_stay_within_the_overall_rate(
    bot: Harness,
) -> None:
    """35 newcomers press Start while 35 members get a message from the outbox: 70 messages,
    more than one second's allowance, and not one window of a second above it."""
    newcomers = [bot.world.user(f"Neu{i:02d}") for i in range(35)]
    members = [bot.world.user(f"Alum{i:02d}") for i in range(35)]
    for person in members:
        await factories.member(bot, person)

    await enqueue_each(bot, [(f"test:limits:{p.id}", p.id, f"Hallo {p.name}") for p in members])
    await asyncio.gather(*(person.send("/start") for person in newcomers))

    for person in newcomers:
        await person.expect("Datenschutz")
    for person in members:
        await person.expect(f"Hallo {person.name}")
    log = bot.server.flood_log
    assert log.count == 0, log.refusals
    assert len(log.accepted) >= 70
    assert log.busiest_window(1.0) <= OVERALL_RATE
    rows = await settled_rows(bot, "test:limits:")
    assert all(row.status == DeliveryStatus.SENT and row.attempts == 1 for row in rows)
    for person in members:
        person.assert_all_read()


async def test_messages_to_one_chat_arrive_in_order_paced_and_others_do_not_wait(
    bot: Harness,
) -> None:
    anna, ben = bot.world.user("Anna"), bot.world.user("Ben")
    await factories.member(bot, anna)
    await factories.member(bot, ben)
    texts = [f"Nachricht {n}" for n in range(1, 8)]
    await enqueue_each(
        bot,
        [(f"test:chat:anna:{n}", anna.id, text) for n, text in enumerate(texts, 1)]
        + [("test:chat:ben", ben.id, "Hallo Ben")],
    )

    for text in texts:
        await anna.expect(text)
    await ben.expect("Hallo Ben")
    assert [m.text for m in anna.messages] == texts
    log = bot.server.flood_log
    assert log.count == 0, log.refusals
    times = log.times_of(anna.id)
    # The bucket's shape: any k+1 messages span at least (k + 1 - burst) intervals.
    for first in range(len(times)):
        for last in range(first + CHAT_BURST, len(times)):
            span = times[last] - times[first]
            assert span >= (last - first + 1 - CHAT_BURST) * CHAT_INTERVAL, (first, last, span)
    # Ben's one message did not queue behind Anna's seven.
    assert log.times_of(ben.id)[0] < times[CHAT_BURST]
    rows = await settled_rows(bot, "test:chat:")
    assert all(row.status == DeliveryStatus.SENT and row.attempts == 1 for row in rows)
    anna.assert_all_read()
