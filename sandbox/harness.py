"""Run the real bot against the sandbox: used by the tests, the demo and the benchmarks."""

from __future__ import annotations

import datetime as dt
import socket
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.clock import Clock
from bot.config import Settings, load_settings
from bot.services import Services
from handlers.app import build_application, running
from handlers.context import AlumniApplication
from sandbox.driver import World
from sandbox.limits import SandboxLimits
from sandbox.server import SandboxServer

# Generous limits so ordinary tests never meet flood control (no per-chat limit at all: the
# bot's direct replies are not paced); tests about it lower them.
FAST_LIMITS = SandboxLimits(
    messages_per_second=10_000, group_messages_per_minute=10_000, private_chat_messages_per_second=0
)


# Where "Telegram" pushes in webhook mode; the sandbox routes it to the bot's local listener,
# as the reverse proxy does in production.
WEBHOOK_PUBLIC_URL = "https://alumni-bot.sandbox.test/telegram/updates"
WEBHOOK_SECRET = "sandbox-webhook-secret_0123456789"


def free_port() -> int:
    """A port nobody listens on now (the bot binds it a moment later, and again on restarts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_overrides() -> dict[str, Any]:
    """Settings for webhook mode on 127.0.0.1 and a free port, fixed across restarts."""
    return {
        "webhook_url": WEBHOOK_PUBLIC_URL,
        "webhook_secret": WEBHOOK_SECRET,
        "webhook_listen": f"127.0.0.1:{free_port()}",
    }


def sandbox_settings(server: SandboxServer, database: Path | str, **overrides: Any) -> Settings:
    """Settings for a bot on the sandbox; `database` is an SQLite file or a database URL."""
    values: dict[str, Any] = {
        "bot_token": server.token,
        "bot_api_base_url": server.base_url,
        "database_url": (
            f"sqlite+aiosqlite:///{database}" if isinstance(database, Path) else database
        ),
        "coordinator_ids": [],
        "timezone": "Europe/Berlin",
        "default_language": "de",
        "send_rate_per_second": 10_000,
        "group_messages_per_minute": 10_000,
        # Per-chat pacing stays on, scaled down: the path is exercised, tests stay fast.
        "send_chat_interval": dt.timedelta(milliseconds=10),
        "request_timeout": dt.timedelta(seconds=5),
        "send_retry_backoff": dt.timedelta(milliseconds=50),
        "poll_timeout": dt.timedelta(seconds=10),
        "quiet_hours": "",
        # Counts are edited at once: a test that waits for an edit does not also have to move
        # the clock past the pace (the pacing test sets its own).
        "meetup_edit_pace": dt.timedelta(0),
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


class Harness:
    """The sandbox, the people in it and a running bot; `restart()` builds a fresh bot on the
    same database, as a deploy or crash-and-restart would."""

    def __init__(self, server: SandboxServer, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.world = World(server)
        # Kept across restarts: tests move it forward instead of waiting.
        self.clock = Clock()
        # Telegram's time is the bot's time: message dates, poll close moments.
        server.now = lambda: self.clock.now().timestamp()
        self.app: AlumniApplication | None = None
        self._stack: AsyncExitStack | None = None

    @property
    def webhook_local_url(self) -> str:
        """The bot's own listener in webhook mode (what the reverse proxy forwards to)."""
        host, port = self.settings.webhook_address
        return f"http://{host}:{port}"

    @property
    def services(self) -> Services:
        assert self.app is not None, "the bot is not running"
        return self.app.services

    async def start(self, **setting_overrides: Any) -> AlumniApplication:
        if setting_overrides:
            self.settings = self.settings.model_copy(update=setting_overrides)
        self._stack = AsyncExitStack()
        if self.settings.webhook_url:
            public = urlsplit(self.settings.webhook_url)
            host, port = self.settings.webhook_address
            self.server.route_webhook(f"{public.scheme}://{public.netloc}", f"http://{host}:{port}")
        self.app = build_application(self.settings, clock=self.clock)
        await self._stack.enter_async_context(running(self.app, poll_timeout=10))
        # A waiting getUpdates re-checks when time jumps, so a poll whose close moment the
        # jump passed is reported closed at once. (Subscribed after start-up: a stopping bot
        # forgets every clock listener.)
        self.clock.on_change(self.server.notify)
        return self.app

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def crash(self) -> None:
        """Die like `kill -9` would as far as Telegram can tell: updates being handled are cut
        off and not confirmed. (The process itself winds down, so the next start is clean.)"""
        assert self.app is not None and self.app.intake is not None
        await self.app.intake.abort()
        await self.stop()

    async def restart(self, **setting_overrides: Any) -> AlumniApplication:
        await self.stop()
        return await self.start(**setting_overrides)

    async def __aenter__(self) -> Harness:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
