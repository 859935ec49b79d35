"""Our own getUpdates loop: an update is confirmed to Telegram only once it is handled.

PTB's polling confirms a batch (the next `offset`) before its handlers have run, so a crash in
between loses what members had just sent. Here the offset advances past an update only when it
and every update before it are finished; updates run concurrently across chats and in order
within a chat (the application's update processor). An update that arrives again after a crash
is skipped if its effects were committed (the handled-update ids, recorded in the same
transaction as those effects by `storage.db`).

In webhook mode Telegram pushes the updates instead (`handlers.webhook`); each goes through
`deliver`, the very same path (chat order, handled ids), and the request is answered only
once it returns, which is the webhook's way of confirming.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from telegram import Update
from telegram.error import (
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application

from bot.intake import already_handled, mark_handled, prune_handled_updates
from bot.services import Services
from storage.db import HandlingUpdate, handling_update

logger = logging.getLogger(__name__)

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
SPIN_PAUSE_SECONDS = 0.1
KEEP_HANDLED_IDS = dt.timedelta(days=2)  # Telegram drops unconfirmed updates after 24 hours


class Intake:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        *,
        poll_timeout: float,
        allowed_updates: list[str],
        polling: bool = True,
    ) -> None:
        self.application = application
        self.services = services
        self.poll_timeout = poll_timeout
        self.allowed_updates = allowed_updates
        self.polling = polling  # False: updates arrive through `deliver` (webhook mode)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._finished: set[int] = set()
        self._confirm_below: int | None = None
        self._stopping = asyncio.Event()
        self.aborted = False  # cut off as by a crash: the run did not end cleanly
        self._task: asyncio.Task[None] | None = None
        self._pushed: set[asyncio.Task[bool]] = set()  # webhook updates being handled
        # Updates handled since start; lets tests and the crash bench await progress.
        self.handled = 0

    async def start(self) -> None:
        services = self.services
        await prune_handled_updates(services, before=services.clock.now() - KEEP_HANDLED_IDS)
        self._stopping.clear()
        if self.polling:
            await self._drop_stale_webhook()
            self._task = asyncio.create_task(self._poll(), name="intake")

    async def _drop_stale_webhook(self) -> None:
        """A webhook left from an earlier webhook-mode run makes Telegram refuse getUpdates."""
        try:
            info = await self.application.bot.get_webhook_info()
            if info.url:
                # Pending updates stay with Telegram: getUpdates fetches them next.
                await self.application.bot.delete_webhook(drop_pending_updates=False)
                logger.warning("stale_webhook_deleted")
        except TelegramError as error:  # the poll loop reports a lasting conflict itself
            logger.warning("stale_webhook_check_failed error=%s", type(error).__name__)

    async def deliver(self, update: Update) -> bool:
        """A pushed (webhook) update: True once it is handled, or was handled before.

        False when it could not be (the bot is stopping, its bookkeeping failed, or it was cut
        off as by a crash): the caller answers an error and Telegram sends it again.
        """
        if self._stopping.is_set():
            return False
        task = asyncio.create_task(self._process(update), name=f"update-{update.update_id}")
        self._pushed.add(task)
        task.add_done_callback(self._pushed.discard)
        # Waiting, not awaiting: a request the web server gives up on must not cancel the
        # handling, which goes on and commits (a redelivery is then skipped).
        await asyncio.wait({task})
        return not task.cancelled() and task.exception() is None and task.result()

    async def abort(self) -> None:
        """What a killed process leaves: running updates cut off, nothing more confirmed."""
        self.aborted = True
        self._stopping.set()
        running = (self._task, *self._in_flight.values(), *self._pushed)
        tasks = [task for task in running if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._in_flight.clear()
        self._finished.clear()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop fetching, let running updates finish, confirm what is done."""
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight or self._pushed:
            await asyncio.wait([*self._in_flight.values(), *self._pushed], timeout=grace)
        if not self.polling:
            return
        with contextlib.suppress(Exception):  # best effort: unconfirmed ones are skipped later
            if self._advance() is not None:
                await self.application.bot.get_updates(offset=self._confirm_below, timeout=0)

    async def _poll(self) -> None:
        backoff = BACKOFF_START
        while not self._stopping.is_set():
            try:
                updates = await self.application.bot.get_updates(
                    offset=self._advance(),
                    timeout=int(self.poll_timeout),
                    allowed_updates=self.allowed_updates,
                )
            except InvalidToken:
                raise
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error.retry_after))
                continue
            except (NetworkError, TimedOut, Conflict) as error:
                # Network not up yet, Telegram answering 5xx, another poller: wait and go on.
                logger.warning(
                    "get_updates_failed error=%s retry_in=%.0fs", type(error).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            backoff = BACKOFF_START
            started = 0
            for update in updates:
                seen = update.update_id in self._in_flight or update.update_id in self._finished
                below = self._confirm_below is not None and update.update_id < self._confirm_below
                if not seen and not below:
                    started += 1
                    self._in_flight[update.update_id] = asyncio.create_task(
                        self._handle(update), name=f"update-{update.update_id}"
                    )
            if updates and not started and self._in_flight:
                # Telegram answers at once with what is fetched but not confirmed yet: asking
                # again before one of them is done would only spin. Not longer than a moment,
                # so a slow update does not delay a new one from another chat.
                await asyncio.wait(
                    list(self._in_flight.values()),
                    timeout=SPIN_PAUSE_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )

    async def _handle(self, update: Update) -> None:
        handled = await self._process(update)
        self._in_flight.pop(update.update_id, None)
        if handled:
            self._finished.add(update.update_id)

    async def _process(self, update: Update) -> bool:
        """The one way an update is handled, fetched or pushed: in its chat's turn, once."""
        application, services = self.application, self.services
        current = HandlingUpdate(update.update_id)

        async def handle_once() -> None:
            # Inside the chat's turn: the check must not let a later update of the chat overtake.
            if await already_handled(services, update_id=update.update_id):
                logger.info("update_skipped id=%s reason=handled_before", update.update_id)
                return
            await application.process_update(update)
            if not current.recorded:  # it wrote nothing: its effects are done now
                await mark_handled(services, update_id=update.update_id)

        token = handling_update.set(current)
        try:
            await application.update_processor.process_update(update, handle_once())
        except Exception:
            # Handlers report their own errors; this is the intake's own bookkeeping failing.
            # Leave the update unconfirmed: it comes again and is handled or skipped then.
            logger.exception("update_intake_failed id=%s", update.update_id)
            return False
        finally:
            handling_update.reset(token)
        self.handled += 1
        return True

    def _advance(self) -> int | None:
        """The offset to send: just past the last update before which everything is done."""
        if self._finished:
            lowest_open = min(self._in_flight, default=None)
            done = [i for i in self._finished if lowest_open is None or i < lowest_open]
            if done:
                self._confirm_below = max(done) + 1
                self._finished.difference_update(done)
        return self._confirm_below


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
