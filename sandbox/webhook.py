"""Telegram's side of a webhook: push every update to the bot's URL until it answers 2xx.

As Telegram does: one update at a time per chat, in order (chats do not wait for each other);
the secret token from setWebhook in `X-Telegram-Bot-Api-Secret-Token`; on a non-2xx answer,
a refused connection or a timeout the same update is sent again after a growing pause, and an
update counts as delivered (confirmed) only on 2xx. The pauses are short so tests stay fast.

The bot listens on 127.0.0.1 behind a reverse proxy in real life; `routes` is that proxy (a
public https origin → the local http one), so the sandbox never reaches out to the internet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import aiohttp

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class WebhookAttempt:
    """One push: the HTTP status the bot answered, or None with what went wrong instead."""

    update_id: int
    status: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class RetryPolicy:
    """Telegram's pauses between tries, scaled down: seconds there, a few ms here."""

    first_pause: float = 0.02
    longest_pause: float = 0.2
    timeout: float = 10.0


class PushHost(Protocol):
    """What the push needs of the sandbox server (a protocol: the server imports this module)."""

    now: Callable[[], float]
    webhook_routes: dict[str, str]
    webhook_attempts: list[WebhookAttempt]

    def deliverable_updates(self) -> list[dict[str, Any]]: ...

    async def confirm(self, update: dict[str, Any]) -> None: ...

    async def notify(self) -> None: ...

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float, *, external: bool = False
    ) -> bool: ...


def chat_key(update: dict[str, Any]) -> object:
    """What Telegram keeps in order: a chat's updates (or a user's, where there is no chat)."""
    kind = next(key for key in update if key != "update_id")
    body = update[kind]
    chat = body.get("chat") or (body.get("message") or {}).get("chat")
    if chat:
        return chat["id"]
    user = body.get("from") or body.get("user")
    return user["id"] if user else kind


class WebhookPush:
    """Runs while a webhook is set; `stop()` (deleteWebhook) leaves unsent updates queued."""

    def __init__(
        self, server: PushHost, *, url: str, secret: str | None, policy: RetryPolicy
    ) -> None:
        self.server = server
        self.url = url
        self.secret = secret
        self.policy = policy
        self.last_error: str | None = None
        self.last_error_date: int | None = None
        self._sending: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        # A flag as well as the cancel: Python 3.11's wait_for can swallow a cancel that meets
        # a wake-up, and the loop must end all the same.
        self._stopped = True
        tasks = [task for task in (self._task, *self._sending.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._sending.clear()

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            startable: list[dict[str, Any]] = []

            def ready() -> bool:
                startable[:] = [] if self._stopped else self._startable()
                return bool(startable) or self._stopped

            while not self._stopped:
                if not await self.server.wait_for(ready, 3600):
                    continue
                for update in startable:
                    update_id = update["update_id"]
                    self._sending[update_id] = asyncio.create_task(
                        self._push(http, update), name=f"sandbox-webhook-{update_id}"
                    )

    def _startable(self) -> list[dict[str, Any]]:
        """The first waiting update of each chat that is not being pushed already."""
        startable, seen = [], set()
        for update in self.server.deliverable_updates():
            key = chat_key(update)
            if key in seen:
                continue  # the chat's earlier update is not confirmed yet
            seen.add(key)
            if update["update_id"] not in self._sending:
                startable.append(update)
        return startable

    async def _push(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        pause = self.policy.first_pause
        try:
            while not await self._attempt(http, update):
                if self._stopped:
                    return
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.policy.longest_pause)
            await self.server.confirm(update)
        finally:
            # After confirming: until then the update must not look startable again.
            self._sending.pop(update["update_id"], None)

    async def _attempt(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        update_id = update["update_id"]
        target = self._local_url()
        headers = {SECRET_HEADER: self.secret} if self.secret else {}
        attempt: WebhookAttempt
        if target is None:
            attempt = WebhookAttempt(update_id, None, "Failed to resolve host")
        else:
            try:
                async with http.post(target, json=update, headers=headers) as response:
                    await response.read()
                    attempt = WebhookAttempt(update_id, response.status)
            except TimeoutError:
                attempt = WebhookAttempt(update_id, None, "Timeout expired")
            except aiohttp.ClientError as error:
                reason = f"Connection failed: {type(error).__name__}"
                attempt = WebhookAttempt(update_id, None, reason)
        self.server.webhook_attempts.append(attempt)
        if not attempt.delivered:
            self.last_error = attempt.error or f"Wrong response from the webhook: {attempt.status}"
            self.last_error_date = int(self.server.now())
        await self.server.notify()  # tests may wait for an attempt
        return attempt.delivered

    def _local_url(self) -> str | None:
        parts = urlsplit(self.url)
        local = self.server.webhook_routes.get(f"{parts.scheme}://{parts.netloc}")
        if local is None:
            return None
        origin = urlsplit(local)
        return urlunsplit((origin.scheme, origin.netloc, parts.path, parts.query, ""))
