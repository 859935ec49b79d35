"""Build the PTB Application from the settings, and run it (for real, or inside tests/demo)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.checkin.resume import resume_interrupted
from bot.clock import Clock
from bot.config import Settings, TokenRejected
from bot.i18n import Translator
from bot.intake import begin_run, end_run
from bot.menus import coordinator_menu_languages
from bot.outbox import Outbox
from bot.round_cache import RoundCache
from bot.services import Services
from handlers.context import AlumniApplication, BotContext
from handlers.intake import Intake
from handlers.menus import publish_coordinator_menu, publish_member_menu
from handlers.rate_limit import WindowRateLimiter
from handlers.sender import TelegramSender
from handlers.update_order import PerChatUpdateProcessor
from storage.db import Database

if TYPE_CHECKING:
    from handlers.webhook import WebhookServer

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
]


def build_application(settings: Settings, *, clock: Clock | None = None) -> AlumniApplication:
    """Everything the bot needs, wired once; no I/O happens until the app is started."""
    clock = clock or Clock()
    from handlers import register_handlers

    db = Database(settings.database_url)
    services = Services(
        settings=settings,
        clock=clock,
        db=db,
        translate=Translator.load(settings.default_language),
        outbox=Outbox(db=db, settings=settings, clock=clock),
        round_cache=RoundCache(),
    )
    timeout = settings.request_timeout.total_seconds()
    application = (
        ApplicationBuilder()
        .application_class(AlumniApplication, kwargs={"services": services})
        .token(settings.token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_base_url.replace("/bot", "/file/bot"))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(rate_limiter(settings))
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .write_timeout(timeout)
        .pool_timeout(timeout)
        .get_updates_read_timeout(settings.poll_timeout.total_seconds() + timeout)
        .concurrent_updates(PerChatUpdateProcessor())
        .updater(None)  # handlers.intake fetches updates and confirms only what is handled
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    assert isinstance(application, AlumniApplication)
    register_handlers(application)
    return application


def rate_limiter(settings: Settings) -> WindowRateLimiter:
    """Never more than SEND_RATE_PER_SECOND in any second, GROUP_MESSAGES_PER_MINUTE per group
    in any minute; a `retry_after` from Telegram is waited out and the call tried again."""
    rate = settings.send_rate_per_second
    # A fractional rate becomes whole calls over a matching period (25.5/s: 25 per 0.98s).
    calls = max(1, int(rate))
    return WindowRateLimiter(
        overall_max_rate=calls,
        overall_time_period=calls / rate,
        group_max_rate=settings.group_messages_per_minute,
        group_time_period=60,
        max_retries=3,
    )


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Open the database, migrate, publish the menus, resume deliveries and schedules."""
    from handlers import on_startup

    assert isinstance(application, AlumniApplication)
    services = application.services
    await services.db.migrate()
    await _publish_menus(application)
    await services.outbox.start(
        TelegramSender(application.bot, redact=services.settings.redact, clock=services.clock)
    )
    await on_startup(application)
    logger.info(
        "bot_started username=%s version=%s mode=%s database=%s",
        application.bot.username,
        _version(),
        "webhook" if services.settings.webhook_url else "polling",
        services.db.describe(),
    )


def _version() -> str:
    try:
        return importlib.metadata.version("alumni-exchange-bot")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


async def _publish_menus(application: AlumniApplication) -> None:
    """Member menus for all private chats, the coordinator menu in each coordinator's chat.

    A menu is a convenience: Telegram refusing one (a coordinator who never opened the chat,
    a hiccup) is logged and start-up goes on.
    """
    services = application.services
    try:
        await publish_member_menu(application.bot, services.translate)
    except TelegramError as error:
        logger.warning(
            "menu_publish_failed scope=members error=%s", services.settings.redact(str(error))
        )
    for coordinator_id, language in await coordinator_menu_languages(services):
        published = await publish_coordinator_menu(
            application.bot, services.translate, chat_id=coordinator_id, language=language
        )
        if not published:
            logger.info("coordinator_menu_deferred chat=%s", coordinator_id)


async def _post_stop(application: Application) -> None:  # type: ignore[type-arg]
    assert isinstance(application, AlumniApplication)
    application.services.clock.forget_listeners()
    await application.services.outbox.stop()


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    assert isinstance(application, AlumniApplication)
    await application.services.db.close()
    logger.info("bot_stopped")


def run_polling(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM (polling, or serving the webhook with WEBHOOK_URL set);
    TokenRejected when Telegram refuses the token, WebhookRejected when it refuses the URL."""
    try:
        asyncio.run(_serve(settings))
    except InvalidToken as error:
        raise TokenRejected() from error


async def _serve(settings: Settings) -> None:
    application = build_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running(application, poll_timeout=settings.poll_timeout.total_seconds()):
        await stop.wait()


async def _initialize(application: AlumniApplication) -> None:
    """`getMe` until Telegram answers: after a reboot the network may not be up yet."""
    delay = 1.0
    while True:
        try:
            await application.initialize()
            return
        except InvalidToken:
            raise
        except NetworkError as error:
            logger.warning(
                "telegram_unreachable_at_start error=%s retry_in=%.0fs",
                type(error).__name__,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


async def _start_webhook(application: AlumniApplication, intake: Intake) -> WebhookServer:
    # Imported here: only webhook mode needs aiohttp.
    from handlers.webhook import WebhookServer

    webhook = WebhookServer(application, intake, allowed_updates=ALLOWED_UPDATES)
    try:
        await webhook.start()
    except BaseException:
        await webhook.stop()
        raise
    return webhook


@asynccontextmanager
async def running(
    application: AlumniApplication, *, poll_timeout: float = 10
) -> AsyncIterator[AlumniApplication]:
    """Run the application inside an existing event loop, exactly as `run_polling` would:
    polling, or with WEBHOOK_URL set, serving the webhook.

    Used by tests, the demo and benchmarks: the same hooks in the same order.
    """
    await _initialize(application)
    webhook_mode = application.services.settings.webhook_url is not None
    intake = Intake(
        application,
        application.services,
        poll_timeout=poll_timeout,
        allowed_updates=ALLOWED_UPDATES,
        polling=not webhook_mode,
    )
    application.intake = intake
    try:
        if application.post_init:
            await application.post_init(application)
        if await begin_run(application.services):
            resumed = await resume_interrupted(application.services)
            logger.warning("previous_run_ended_unexpectedly resumed_check_ins=%d", resumed)
        await application.start()
        webhook: WebhookServer | None = None
        try:
            await intake.start()
            if webhook_mode:
                webhook = await _start_webhook(application, intake)
            yield application
        finally:
            if webhook is not None:
                await webhook.stop()  # first: nothing new comes in, running requests answer
            await intake.stop()
            if not intake.aborted:
                await end_run(application.services)
            if application.running:
                await application.stop()
                if application.post_stop:
                    await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


__all__ = ["ALLOWED_UPDATES", "Update", "build_application", "run_polling", "running"]
