"""The bot token never shows in the logs, at any level, in any format."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from telegram import Update
from telegram.ext import CommandHandler

from bot.logging_setup import REDACTED, configure_logging, redact
from bot.payloads import message_payload
from handlers.context import BotContext
from sandbox.harness import WEBHOOK_SECRET, Harness, webhook_overrides


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


async def leaky(update: Update, context: BotContext) -> None:
    """A handler whose exception text quotes the request URL, as HTTP libraries sometimes do."""
    settings = context.services.settings
    raise RuntimeError(f"POST {settings.bot_api_base_url}{settings.token}/sendMessage failed")


@pytest.mark.usefixtures("restore_logging")
async def test_the_token_never_appears_in_debug_output(bot: Harness) -> None:
    token = bot.settings.token
    stream = io.StringIO()
    configure_logging(level="DEBUG", log_format="text", secrets=[token], stream=stream)
    await bot.restart()  # start-up logs included: PTB logs the base URL with the token
    bot.app.add_handler(CommandHandler("leak", leaky), group=-10)  # type: ignore[union-attr]

    anna = bot.world.user("Anna")
    await anna.send("/start")
    await anna.expect("Hallo Anna")
    await anna.send("/leak")

    def both_replies() -> bool:  # the error reply, and "unknown command" from the group-0 catch-all
        texts = [message.text for message in anna.messages]
        return any("schiefgelaufen" in t for t in texts) and any(
            "kenne ich nicht" in t for t in texts
        )

    await anna.wait_until(both_replies, "both replies to /leak")
    anna.mark_read()
    bot.server.fail_next(1, status=502, description="Bad Gateway", methods={"sendMessage"})
    async with bot.services.db.write() as session:
        await bot.services.outbox.enqueue(
            session, key="test:log", chat_id=anna.id, payload=message_payload("Erinnerung")
        )
        await session.commit()
    bot.services.outbox.wake()
    await anna.expect("Erinnerung")
    await bot.stop()

    output = stream.getvalue()
    secret_half = token.split(":", 1)[1]
    assert "Set Bot API URL" in output and REDACTED in output  # the dangerous line was there
    assert "update_failed" in output and "outbox_retry" in output
    assert "logger=httpx" not in output  # httpx stays at WARNING
    assert token not in output and secret_half not in output


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_are_redacted_including_tracebacks() -> None:
    token = "123456:AAbbCCddEEffGGhhIIjjKKllMMnn"
    stream = io.StringIO()
    configure_logging(level="INFO", log_format="json", secrets=[token], stream=stream)
    log = logging.getLogger("test.json")
    log.info("calling https://api.telegram.org/bot%s/getMe", token)
    try:
        raise ValueError(f"bad url https://api.telegram.org/bot{token.replace(':', '%3A')}/x")
    except ValueError:
        log.exception("request_failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["levelname"] for line in lines] == ["INFO", "ERROR"]
    assert lines[0]["message"] == f"calling https://api.telegram.org/bot{REDACTED}/getMe"
    assert "ValueError" in lines[1]["exc_info"]
    assert "AAbbCC" not in stream.getvalue()


def test_redact_covers_every_form_of_the_token() -> None:
    token = "123456:AAbbCCddEEffGGhhIIjjKKllMMnn"
    text = f"a {token} b 123456%3AAAbbCCddEEffGGhhIIjjKKllMMnn c AAbbCCddEEffGGhhIIjjKKllMMnn"
    assert redact(text, [token]) == f"a {REDACTED} b {REDACTED} c {REDACTED}"
    assert redact("nothing secret", []) == "nothing secret"


@pytest.mark.usefixtures("restore_logging")
async def test_the_webhook_secret_never_appears_in_debug_output(bot: Harness) -> None:
    """PTB logs every call's parameters at DEBUG, setWebhook's secret_token among them."""
    stream = io.StringIO()
    await bot.stop()
    webhook = webhook_overrides()
    bot.settings = bot.settings.model_copy(
        update={**webhook, "webhook_secret": SecretStr(webhook["webhook_secret"])}
    )
    secrets = bot.settings.secrets
    configure_logging(level="DEBUG", log_format="text", secrets=secrets, stream=stream)
    await bot.start()
    anna = bot.world.user("Anna")
    await anna.send("/start")
    await anna.expect("Datenschutz")
    await bot.stop()

    output = stream.getvalue()
    assert "setWebhook" in output and "webhook_listening" in output
    assert WEBHOOK_SECRET not in output and bot.settings.token not in output
