"""A newcomer writes /start and /help in a private chat."""

from __future__ import annotations

from bot.sandbox.harness import Harness


async def test_start_greets_in_german_by_default(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await anna.send("/start")
    message = await anna.expect("Hallo Anna")
    assert "Netzwerkkoordinator:innen" in message.text


async def test_start_in_english_for_an_english_telegram(bot: Harness) -> None:
    john = bot.world.user("John", language="en-GB")
    await john.send("/start")
    await john.expect("Hello John")


async def test_help_lists_commands(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await anna.send("/help")
    message = await anna.expect("So funktioniert")
    assert "/start" in message.text
    assert any(entity["type"] == "bold" for entity in message.entities)


async def test_user_text_is_escaped(bot: Harness) -> None:
    mallory = bot.world.user("<b>Mal&lory</script>")
    await mallory.send("/start")
    message = await mallory.expect("Hallo <b>Mal&lory</script>")
    assert message.entities == []


async def test_menus_are_published_in_german_and_english(bot: Harness) -> None:
    scopes = {(scope, language) for scope, language in bot.server.commands}
    assert any('"all_private_chats"' in scope and language == "de" for scope, language in scopes)
    assert any('"all_private_chats"' in scope and language == "en" for scope, language in scopes)
