"""A group post keeps to Telegram's limits: the sandbox enforces 30/s and 20/min per group."""

from __future__ import annotations

import factories
import pytest
from outbox_steps import settled_rows

from sandbox.harness import Harness
from sandbox.limits import SandboxLimits
from storage.tables import DeliveryStatus


@pytest.fixture
def sandbox_limits() -> SandboxLimits:
    return SandboxLimits()  # Telegram's: 30 messages/s, 20 per minute and group


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # The bot's own pacing as configured in production.
    return {"coordinator_ids": [], "send_rate_per_second": 25, "group_messages_per_minute": 20}


async def test_a_long_group_post_is_sent_once_in_order_without_flood_errors(
    bot: Harness,
) -> None:
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    answers: list[factories.AnswerSpec] = [
        (
            await factories.member(bot, bot.world.user(f"Alum{i:02d}"), region=f"Netz {i:02d}"),
            1 + i % 2,
            f"Beitrag {i:02d}: " + "Wir bauen Kooperationen mit Schulen und Betrieben auf. " * 12,
            ["Kooperation & Netzwerk"],
        )
        for i in range(30)
    ]
    await factories.round_with_answers(bot, answers=answers)
    group = await factories.alumni_group(bot, "Alumni", members=[carla])

    await carla.send("/digest gruppe datei")
    confirmation = await carla.expect("geht jetzt in die Gruppe")
    parts = int(confirmation.text.split("(")[1].split()[0])
    await group.wait_until(lambda: len(group.messages) == parts, f"{parts} posts")

    assert 8 <= parts <= 20  # several messages, still within one minute's allowance
    texts = [m.text for m in group.messages[: parts - 2]]
    assert [t.rsplit("\n", 1)[1] for t in texts] == [
        f"({i}/{parts - 2})" for i in range(1, parts - 1)
    ]
    assert [m.document["file_name"] for m in group.messages[-2:] if m.document] == [
        "digest-runde-1.md",
        "digest-runde-1.csv",
    ]
    assert not [error for _, error in bot.server.rejected if error.code == 429]
    # The outbox records each send right after the sandbox saw it.
    rows = await settled_rows(bot, "digest:")
    assert len(rows) == parts
    assert all(row.status == DeliveryStatus.SENT and row.attempts == 1 for row in rows)
    assert len({row.message_id for row in rows}) == parts
