"""A newcomer writes /start and /help in a private chat: welcome, privacy notice, consent."""

from __future__ import annotations

import pytest
from member_steps import configured_coordinator

from handlers.menus import MENU, Audience
from sandbox.harness import Harness
from storage import members as member_store
from storage.tables import Member


async def stored(bot: Harness, person_id: int) -> Member | None:
    async with bot.services.db.session() as session:
        return await member_store.get_member(session, telegram_id=person_id)


async def test_start_greets_in_german_with_privacy_notice_and_stores_nothing(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await anna.send("/start")
    message = await anna.expect("Hallo Anna", "Datenschutz")
    assert "Netzwerkkoordinator:innen" in message.text
    for promise in ("Was ich speichere", "Wozu", "Wie lange", "2 Jahre", "Wer es sieht"):
        assert promise in message.text
    assert "✅ Einverstanden" in message.button_texts
    assert await stored(bot, anna.id) is None


async def test_start_in_english_for_an_english_telegram(bot: Harness) -> None:
    john = bot.world.user("John", language="en-GB")
    await john.send("/start")
    message = await john.expect("Hello John", "privacy")
    assert "✅ I agree" in message.button_texts


async def test_declining_stores_nothing(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await anna.send("/start")
    await anna.expect("Datenschutz")
    await anna.press("Nein, danke")
    await anna.expect("nichts über dich gespeichert")
    assert await stored(bot, anna.id) is None


async def test_switching_the_notice_to_english_stores_nothing_until_consent(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await anna.send("/start")
    await anna.expect("Datenschutz")
    await anna.press("English")
    await anna.wait_until(lambda: "privacy" in anna.last.text, "the notice in English")
    assert await stored(bot, anna.id) is None
    await anna.press("I agree")
    await anna.expect("How should the others see you")
    member = await stored(bot, anna.id)
    assert member is not None and member.language == "en"


async def test_help_lists_commands(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await anna.send("/help")
    message = await anna.expect("So funktioniert")
    for command in ("/start", "/profile", "/pause", "/export", "/forget"):
        assert command in message.text
    assert any(entity["type"] == "bold" for entity in message.entities)
    await anna.expect_nothing(0.2)  # no coordinator section for a member


async def test_help_shows_coordinator_commands_to_coordinators(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await carla.send("/help")
    await carla.expect("So funktioniert")
    message = await carla.expect("Für Koordinator:innen")
    assert "/invite" in message.text and "/setgroup" in message.text


async def test_user_text_is_escaped(bot: Harness) -> None:
    mallory = bot.world.user("<b>Mal&lory</script>")
    await mallory.send("/start")
    message = await mallory.expect("Hallo <b>Mal&lory</script>")
    assert "<b>Mal&lory</script>" in message.text
    bold = [message.text[e["offset"] : e["offset"] + e["length"]] for e in message.entities]
    assert all("Mal&lory" not in text for text in bold)


async def test_menus_are_published_in_german_and_english(bot: Harness) -> None:
    scopes = {(scope, language) for scope, language in bot.server.commands}
    assert any('"all_private_chats"' in scope and language == "de" for scope, language in scopes)
    assert any('"all_private_chats"' in scope and language == "en" for scope, language in scopes)
    private = next(
        commands
        for (scope, language), commands in bot.server.commands.items()
        if '"all_private_chats"' in scope and language == "de"
    )
    names = {command["command"] for command in private}
    assert {"profile", "pause", "resume", "language", "export", "forget"} <= names
    assert "members" not in names


async def test_help_lists_every_menu_command_with_its_menu_description(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await carla.send("/help")
    members_help = await carla.expect("So funktioniert")
    coordinators_help = await carla.expect("Für Koordinator:innen")
    translate = bot.services.translate
    for command in MENU:
        shown = members_help if command.audience is Audience.MEMBER else coordinators_help
        description = str(translate("de", command.description_key))
        assert f"/{command.name} – {description}" in shown.text, command.name
    assert "/checkin" in members_help.text and "/digest" in coordinators_help.text


@pytest.mark.parametrize(
    "command", [command.name for command in MENU if command.audience is Audience.MEMBER]
)
async def test_member_commands_in_a_group_point_to_the_private_chat(
    bot: Harness, command: str
) -> None:
    anna = bot.world.user("Anna")
    group = await bot.world.group("Alumni", members=[anna])
    await group.send(anna, f"/{command}")
    message = await group.expect("Schreib mir dafür bitte privat")
    assert f"t.me/{bot.server.bot_user['username']}" in message.text
    assert anna.messages == []  # nothing happened in the private chat
    assert await stored(bot, anna.id) is None


async def test_member_commands_in_a_group_in_english(bot: Harness) -> None:
    john = bot.world.user("John", language="en")
    group = await bot.world.group("Alumni", members=[john])
    await group.send(john, "/profile@" + bot.server.bot_user["username"])
    await group.expect("Please write to me privately", "t.me/")


async def test_an_unknown_command_gets_a_pointer_to_help(bot: Harness) -> None:
    zoe = bot.world.user("Zoe")
    await zoe.send("/foo")
    await zoe.expect("Den Befehl /foo kenne ich nicht", "/help")
    john = bot.world.user("John", language="en")
    await john.send("/digest@alumni_test_bot")  # a known command addressed to us: its handler
    await john.expect("Only the coordinators")
    await john.send("/foo@some_other_bot")  # meant for another bot: not ours to answer
    await john.expect_nothing(within=0.3)
    await john.send("/frobnicate <b>")
    await john.expect("I don't know the command /frobnicate")
    await john.send("/" + "x" * 4090)  # echoing it whole would exceed Telegram's 4096
    await john.expect("I don't know the command /xxxxxxxx", "…")


@pytest.mark.parametrize("data", ["veraltet", "x" * 64, "rsvp:1:yes", "digest:theme:9"])
async def test_a_button_no_feature_knows_is_answered(bot: Harness, data: str) -> None:
    """Old buttons and junk data get a short notice, so the client stops spinning."""
    anna = bot.world.user("Anna")
    await anna.send("/start")
    notice = await anna.expect("Datenschutz")
    query_id = await bot.world.press_data(anna, data, chat_id=anna.id, message=notice)
    answer = await anna.callback_answer(query_id)
    assert answer.get("text") == "Dieser Knopf ist nicht mehr aktuell."
    await anna.expect_nothing(0.2)
    async with bot.services.db.session() as session:
        assert await member_store.get_member(session, telegram_id=anna.id) is None
