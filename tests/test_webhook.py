"""Webhook mode: Telegram pushes updates, each is answered 200 only once it is handled."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import aiohttp
import factories
import pytest
from checkin_steps import answers, coordinator, count, open_round
from conftest import COORDINATOR_ID
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.error import Conflict

from bot.config import WebhookRejected
from bot.payloads import message_payload
from sandbox.driver import Person
from sandbox.harness import WEBHOOK_PUBLIC_URL, WEBHOOK_SECRET, Harness, webhook_overrides
from storage import rounds as rounds_store

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"coordinator_ids": [COORDINATOR_ID], **webhook_overrides()}


async def _asked(bot: Harness, name: str = "Anna") -> Person:
    person = bot.world.user(name)
    await factories.member(bot, person)
    await open_round(bot, await coordinator(bot), "3d")
    await person.expect("Frage 1 von 5")
    return person


def _attempts(bot: Harness, update_id: int) -> list[int | None]:
    return [a.status for a in bot.server.webhook_attempts if a.update_id == update_id]


async def _get(bot: Harness, path: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(bot.webhook_local_url + path) as reply:
        return reply.status, await reply.json()


async def test_a_member_starts_and_answers_through_the_webhook(bot: Harness) -> None:
    assert bot.server.webhook_url == WEBHOOK_PUBLIC_URL
    assert bot.app is not None
    with pytest.raises(Conflict):  # Telegram hands out nothing by polling meanwhile
        await bot.app.bot.get_updates(timeout=0)

    ben = bot.world.user("Ben")
    await ben.send("/start")
    await ben.expect("Datenschutz")
    await ben.press("Einverstanden")
    await ben.expect("Schritt 1 von 5")

    anna = await _asked(bot)
    await anna.send("Wir suchen Honorarkräfte")
    await anna.expect("Gespeichert als Antwort auf Frage 1", "Frage 2 von 5")
    assert [text for _, text, _ in await answers(bot, anna)] == ["Wir suchen Honorarkräfte"]
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "every update confirmed")
    assert all(attempt.status == 200 for attempt in bot.server.webhook_attempts)
    anna.assert_all_read()


async def test_a_members_quick_answers_are_stored_in_the_order_written(bot: Harness) -> None:
    anna = await _asked(bot)
    for text in ("eins", "zwei", "drei"):
        await anna.send(text)
    await anna.expect("Frage 4 von 5")
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "all confirmed")
    assert [text for _, text, _ in await answers(bot, anna)] == ["eins", "zwei", "drei"]


async def test_requests_without_the_right_secret_are_refused(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    update_id = await anna.send("/start")
    await anna.expect("Datenschutz")
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "/start confirmed")
    assert bot.app is not None and bot.app.intake is not None
    handled = bot.app.intake.handled
    forged = dict(bot.server.update_log[update_id], update_id=update_id + 1000)
    url = bot.webhook_local_url + "/telegram/updates"
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: WEBHOOK_SECRET[:-1]}):
            async with http.post(url, json=forged, headers=headers) as reply:
                assert reply.status == 403
    await anna.expect_nothing(0.2)
    assert bot.app.intake.handled == handled
    anna.assert_all_read()


async def test_a_crash_mid_handling_is_retried_and_handled_once(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot dies while storing the answer: no 200 went out, so "Telegram" pushes the update
    again until the restarted bot answers, and the answer is stored once."""
    anna = await _asked(bot)
    entered, release = asyncio.Event(), asyncio.Event()
    save = rounds_store.save_answer

    async def slow_save(session: Any, **kwargs: Any) -> Any:
        entered.set()
        await release.wait()
        return await save(session, **kwargs)

    monkeypatch.setattr(rounds_store, "save_answer", slow_save)
    update_id = await anna.send("Förderung läuft aus")
    await asyncio.wait_for(entered.wait(), 5)
    await bot.crash()
    assert await answers(bot, anna) == []
    await anna.wait_until(lambda: len(_attempts(bot, update_id)) >= 2, "a retry while down")
    assert 200 not in _attempts(bot, update_id)
    assert bot.server.pending_update_count == 1

    release.set()
    await bot.start()
    await anna.expect("Gespeichert als Antwort auf Frage 1", "Frage 2 von 5")
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "the update confirmed")
    assert _attempts(bot, update_id)[-1] == 200
    assert [text for _, text, _ in await answers(bot, anna)] == ["Förderung läuft aus"]
    await anna.expect_nothing(0.2)
    assert count(anna, "Gespeichert als") == 1
    anna.assert_all_read()


async def test_a_redelivered_update_is_skipped_and_answered_200(bot: Harness) -> None:
    """Handled and committed, but the 200 was lost: the same update comes again."""
    anna = await _asked(bot)
    update_id = await anna.send("Elternabende laufen gut")
    await anna.expect("Gespeichert", "Frage 2 von 5")
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "the update confirmed")
    await bot.server.redeliver(update_id)
    await anna.wait_until(lambda: _attempts(bot, update_id) == [200, 200], "answered again")
    await anna.expect_nothing(0.2)
    assert [text for _, text, _ in await answers(bot, anna)] == ["Elternabende laufen gut"]
    assert count(anna, "Gespeichert als") == 1
    anna.assert_all_read()


async def test_healthz_reports_database_backlog_and_last_update(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = bot.world.user("Anna")
    await anna.send("/start")
    await anna.expect("Datenschutz")
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "/start confirmed")
    status, body = await _get(bot, "/healthz")
    assert status == 200 and body["status"] == "ok" and body["database"] == "ok"
    assert body["mode"] == "webhook" and body["last_update_handled_at"] is not None
    assert body["outbox"] == {"due": 0, "oldest_due_at": None, "oldest_due_seconds": None}

    await bot.services.outbox.stop()  # a stuck sender: the backlog grows
    async with bot.services.db.write() as session:
        await bot.services.outbox.enqueue(
            session, key="test:health", chat_id=anna.id, payload=message_payload("Hallo")
        )
        await session.commit()
    await bot.clock.move_to(bot.clock.now() + dt.timedelta(minutes=5))
    status, body = await _get(bot, "/healthz")
    assert status == 200 and body["outbox"]["due"] == 1
    assert body["outbox"]["oldest_due_seconds"] >= 300

    # The database file can no longer be opened (a vanished volume, say).
    broken = create_async_engine("sqlite+aiosqlite:////nonexistent/directory/alumni.db")
    sessions = async_sessionmaker(broken, class_=AsyncSession)
    monkeypatch.setattr(bot.services.db, "_sessions", sessions)
    status, body = await _get(bot, "/healthz")
    assert status == 503
    assert body["status"] == "unavailable" and body["database"] == "unreachable"
    monkeypatch.undo()
    await broken.dispose()
    anna.mark_read()


async def test_telegram_rejecting_the_url_stops_the_start(bot: Harness) -> None:
    await bot.stop()
    bot.server.fail_next(
        1,
        status=400,
        description="Bad Request: bad webhook: Failed to resolve host",
        methods={"setWebhook"},
    )
    with pytest.raises(WebhookRejected, match=r"(?i)failed to resolve host"):
        await bot.start()


async def test_polling_mode_deletes_a_stale_webhook(bot: Harness) -> None:
    await bot.stop()
    bot.settings = bot.settings.model_copy(update={"webhook_url": None, "webhook_secret": None})
    await bot.server.set_webhook("https://old-host.example.org/hook", secret_token="old")
    anna = bot.world.user("Anna")
    update_id = await anna.send("/start")  # pushed to the old host, which is gone
    await anna.wait_until(lambda: bool(_attempts(bot, update_id)), "a failed push")

    await bot.start()
    await anna.expect("Datenschutz")
    assert bot.server.webhook_url == ""
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "confirmed by polling")
    anna.assert_all_read()


def test_polling_mode_does_not_load_the_web_server() -> None:
    """Only handlers.webhook imports aiohttp, and only from inside a function (webhook mode)."""
    root = Path(__file__).parent.parent
    for path in [
        *root.glob("bot/**/*.py"),
        *root.glob("handlers/**/*.py"),
        *root.glob("storage/**/*.py"),
    ]:
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: imports inside functions run on demand
            names = _imported(node)
            if path.name != "webhook.py":
                assert "aiohttp" not in names, f"{path} imports aiohttp at module level"
            assert "handlers.webhook" not in names, f"{path} imports handlers.webhook eagerly"


def _imported(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names} | {a.name for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.module:
        return {node.module.split(".")[0], node.module}
    return set()
