"""When a handler fails, the person hears so in their language and the log names the update
by its ids (never its text)."""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from handlers.context import BotContext
from sandbox.harness import Harness


async def broken(update: Update, context: BotContext) -> None:
    """Stands in for any feature with a bug."""
    raise RuntimeError("feature exploded")


@pytest.fixture
def failing(bot: Harness) -> Harness:
    assert bot.app is not None
    bot.app.add_handler(CommandHandler("kaputt", broken), group=-10)
    bot.app.add_handler(CallbackQueryHandler(broken, pattern="^kaputt$"), group=-10)
    return bot


async def test_a_failure_is_explained_in_german_and_logged_by_ids_only(
    failing: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    anna = failing.world.user("Anna")
    with caplog.at_level(logging.ERROR, logger="handlers.errors"):
        await anna.send("/kaputt bitte")
        message = await anna.expect("etwas schiefgelaufen", "gespeichert")
    assert "Was du bisher geschickt hast" in message.text
    [record] = [r for r in caplog.records if r.getMessage().startswith("update_failed")]
    logged = record.getMessage()
    assert f"chat={anna.id}" in logged and f"user={anna.id}" in logged
    assert "type=message" in logged and "update_id=" in logged
    # Logs are outside /forget and RETENTION: nothing the person wrote or is called.
    assert "kaputt" not in logged and "Anna" not in logged
    assert record.exc_info is not None and "feature exploded" in str(record.exc_info[1])


async def test_a_failure_is_explained_in_english_for_english_users(failing: Harness) -> None:
    john = failing.world.user("John", language="en")
    await john.send("/kaputt")
    await john.expect("Something went wrong", "saved")
    assert len(john.messages) == 1


async def test_a_failing_button_is_answered_and_explained(failing: Harness) -> None:
    anna = failing.world.user("Anna")
    await anna.send("/start")
    await anna.expect("Hallo")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Los", callback_data="kaputt")]])
    assert failing.app is not None
    await failing.app.bot.send_message(anna.id, "Bereit?", reply_markup=keyboard)
    query_id = await anna.press("Los")
    await anna.expect("schiefgelaufen")
    assert (await anna.callback_answer(query_id))["answered"]
