"""Webhook mode: Telegram pushes updates to us over HTTP, and `/healthz` for monitoring.

Imported only in webhook mode, so polling never loads aiohttp. A request is answered 200 only
after its update went through the intake (`Intake.deliver`: the same path as polling, with the
chat's order and the handled-update ids), so Telegram's retry covers a crash; a redelivered
update is skipped there and answered 200 as well. Telegram proves a request is its own with
the secret token we gave to setWebhook; anything else gets 403.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError

from bot.config import WebhookRejected
from bot.health import check_health
from handlers.context import AlumniApplication
from handlers.intake import Intake

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
BACKOFF_MAX = 60.0
MAX_BODY_BYTES = 1024 * 1024  # an update is a few KB; anything near this is not Telegram


class WebhookServer:
    """The HTTP listener on WEBHOOK_LISTEN, and the setWebhook call that points Telegram at it."""

    def __init__(
        self,
        application: AlumniApplication,
        intake: Intake,
        *,
        allowed_updates: list[str],
        grace: float = 10.0,
    ) -> None:
        settings = application.services.settings
        assert settings.webhook_url is not None and settings.webhook_secret is not None
        self.application = application
        self.intake = intake
        self.allowed_updates = allowed_updates
        self.grace = grace
        self._url = settings.webhook_url
        self._secret = settings.webhook_secret.get_secret_value().encode()
        # The proxy forwards the public path unchanged, so it is also ours.
        self._path = urlsplit(self._url).path or "/"
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen first, then tell Telegram: its first push must find someone answering."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self._path, self._update)
        app.router.add_get(HEALTH_PATH, self._health)
        # No access log: it would print paths and addresses nobody needs, at every update.
        # The shutdown timeout lets requests being handled finish and answer on a clean stop.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=self.grace
        )
        await self._runner.setup()
        host, port = self.application.services.settings.webhook_address
        await web.TCPSite(self._runner, host, port, reuse_address=True).start()
        await self._set_webhook()
        logger.info("webhook_listening address=%s:%s path=%s", host, port, self._path)

    async def stop(self) -> None:
        """Stop listening; requests being handled finish and get their answer first.

        The webhook stays set: while the bot is down Telegram keeps the updates and pushes
        them once it listens again.
        """
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _set_webhook(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.application.bot.set_webhook(
                    url=self._url,
                    secret_token=self._secret.decode(),
                    allowed_updates=self.allowed_updates,
                    drop_pending_updates=False,
                )
                return
            except BadRequest as error:  # a NetworkError too, but no retry will change it
                reason = self.application.services.settings.redact(error.message)
                raise WebhookRejected(reason) from None
            except InvalidToken:
                raise
            except NetworkError as error:
                logger.warning(
                    "set_webhook_failed error=%s retry_in=%.0fs", type(error).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)

    async def _update(self, request: web.Request) -> web.Response:
        """One pushed update: 200 once handled (or handled before), else an error to retry."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.warning("webhook_refused reason=secret")
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):  # JSON errors are ValueErrors
            logger.warning("webhook_refused reason=not_an_update")
            return web.Response(status=400)
        if await self.intake.deliver(update):
            return web.Response(status=200)
        # Stopping, cut off or failed bookkeeping: Telegram sends it again later.
        return web.Response(status=503)

    async def _health(self, request: web.Request) -> web.Response:
        health = await check_health(self.application.services)
        body = {"mode": "webhook", **health.as_json()}
        return web.json_response(body, status=200 if health.healthy else 503)
