"""The command menus published at start-up (`setMyCommands`), per audience and language."""

from __future__ import annotations

import json

import pytest

from handlers.menus import MENU, Audience
from sandbox.harness import Harness

COORDINATOR_ID = 900_001  # the id the conftest names as coordinator
NEVER_STARTED_ID = 900_002


def menu(bot: Harness, scope: dict[str, object], language: str = "") -> list[str]:
    key = (json.dumps(scope, sort_keys=True), language)
    return [command["command"] for command in bot.server.commands.get(key, [])]


async def test_member_menus_in_german_and_english(bot: Harness) -> None:
    scope = {"type": "all_private_chats"}
    members = [c.name for c in MENU if c.audience is Audience.MEMBER]
    assert menu(bot, scope, "de") == members == menu(bot, scope, "en") == menu(bot, scope)
    german = bot.server.commands[(json.dumps(scope), "de")]
    english = bot.server.commands[(json.dumps(scope), "en")]
    assert german[0]["description"] != english[0]["description"]
    assert next(c.name for c in MENU if c.audience is Audience.COORDINATOR) not in members


@pytest.mark.parametrize(
    "settings_overrides", [{"coordinator_ids": [COORDINATOR_ID, NEVER_STARTED_ID]}]
)
async def test_coordinators_get_their_menu_and_a_refusal_does_not_stop_start_up(
    bot: Harness,
) -> None:
    coordinator = bot.server.create_user("Kora", user_id=COORDINATOR_ID)
    coordinator.started_bot = True
    bot.server.create_user("Neu", user_id=NEVER_STARTED_ID)  # never opened the chat
    before = len(bot.server.rejected)
    await bot.restart()

    everything = [c.name for c in MENU]
    assert menu(bot, {"type": "chat", "chat_id": COORDINATOR_ID}) == everything
    assert menu(bot, {"type": "chat", "chat_id": NEVER_STARTED_ID}) == []
    refused = [e for m, e in bot.server.rejected[before:] if m == "setMyCommands"]
    assert [e.description for e in refused] == ["Bad Request: chat not found"]

    anna = bot.world.user("Anna")  # the bot runs normally despite the refusal
    await anna.send("/start")
    await anna.expect("Anna")
