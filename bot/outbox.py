"""One database-backed delivery path for everything the bot sends on its own.

Features *enqueue* rows (in their own transaction, next to the domain change that causes them);
the worker delivers them. The overall and per-group pacing and `retry_after` come from the rate
limiter on the bot (`handlers.rate_limit`; a 429 that outlasts its retries reschedules the
row); the per-private-chat pacing is the outbox's own (`bot.pacing`): a chat that has had its
burst waits in the queue, without holding up other chats. Server errors and timeouts are
retried with exponential backoff; 403 marks the chat unreachable; group migrations are
followed.

What holds, exactly (the one place that says it):
- A purpose key is queued at most once: enqueuing the same key again does nothing.
- A row is first *reserved* for a cycle (committed), then marked *sending* (committed) right
  before its HTTP call. A crash loses nothing reserved: on start those rows go back to the
  queue. Only a row whose call had begun is uncertain, because Telegram may have delivered it.
- Uncertain rows (a crash mid-call, or a call that timed out) are resent only for the kinds
  registered in `at_least_once` (check-in prompts and reminders: a prompt twice is better than
  none); every other kind (digest parts, notices) is at most once: the row is marked failed
  with the reason, never sent twice. The Bot API has no idempotency key, so no choice gives
  exactly-once for a call whose answer was lost.
- Server errors (5xx) and connection errors before the request was sent are retried for every
  kind, up to SEND_MAX_ATTEMPTS.
- A "still wanted?" check that says no withdraws the row; one that fails (a passing database
  error) leaves it queued and asks again after a backoff.

Rows for one chat are sent one after another in queue order (a digest in three parts must
arrive as 1, 2, 3); different chats are served concurrently. When a chat has to wait (retry,
flood control, migration) the rest of its batch waits too, so the order holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.delivery import Delivered, Failed, Migrated, RetryAfter, Sender, Unreachable
from bot.pacing import ChatPacer
from storage import chats as chat_store
from storage import outbox as store
from storage.db import Database
from storage.tables import DeliveryStatus, OutboxMessage

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
CONCURRENT_SENDS = 8
IDLE_WAKEUP = dt.timedelta(seconds=60)
STOP_GRACE_SECONDS = 10.0

# Returned by `_deliver` when the chat's remaining rows were settled with the failing one.
_CHAT_DONE = object()

# Asked when a row is due, inside the claiming transaction: is this message still wanted?
# (A reminder whose member has finished or paused meanwhile is not.)
WantedCheck = Callable[[Any, OutboxMessage, dt.datetime], Awaitable[bool]]
UnreachableHook = Callable[[Any, int, dt.datetime], Awaitable[None]]
# Told, inside the transaction that marks the row sent, what Telegram answered (poll ids).
DeliveredHook = Callable[[Any, OutboxMessage, Delivered], Awaitable[None]]
# Told, inside the transaction that settles a row for good (sent, failed, unreachable,
# withdrawn), its final status: a broadcast reports once its last row is settled.
SettledHook = Callable[[Any, OutboxMessage], Awaitable[None]]


@dataclass
class Outbox:
    db: Database
    settings: Settings
    clock: Clock
    sender: Sender | None = None
    # By purpose-key prefix; a row found unwanted when due is withdrawn instead of sent.
    still_wanted: dict[str, WantedCheck] = field(default_factory=dict)
    unreachable_hooks: list[UnreachableHook] = field(default_factory=list)
    # By purpose-key prefix.
    delivered_hooks: dict[str, DeliveredHook] = field(default_factory=dict)
    # By purpose-key prefix.
    settled_hooks: dict[str, SettledHook] = field(default_factory=dict)
    # Purpose-key prefixes resent when it is uncertain whether they arrived (see above).
    at_least_once: set[str] = field(default_factory=set)
    # How many delivery cycles the worker has finished; lets tests await outcomes (no sleeps).
    cycles: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _cycle_done: asyncio.Condition = field(default_factory=asyncio.Condition)
    _task: asyncio.Task[None] | None = None
    _stopping: bool = False
    # Kept per outbox (not per start): a restart does not forget what a chat just received.
    pacer: ChatPacer = field(init=False)

    def __post_init__(self) -> None:
        self.pacer = ChatPacer(
            burst=self.settings.send_chat_burst,
            interval=self.settings.send_chat_interval.total_seconds(),
        )

    # ---------------------------------------------------------------- enqueue

    async def enqueue(
        self,
        session: Any,
        *,
        key: str,
        chat_id: int,
        payload: dict[str, Any],
        method: str = "send_message",
        not_before: dt.datetime | None = None,
        respect_quiet_hours: bool = True,
    ) -> bool:
        """Queue one message in the caller's transaction; False if the key was queued before.

        A message due in the quiet hours waits until they end, unless a person asked for it
        just now (`respect_quiet_hours=False`). Call `wake()` after committing.
        """
        due = not_before or self.clock.now()
        quiet = self.settings.quiet
        if respect_quiet_hours and quiet is not None:
            due = quiet.next_allowed(due, self.settings.tz)
        row = await store.add_message(
            session,
            purpose_key=key,
            chat_id=chat_id,
            method=method,
            payload=payload,
            not_before=due,
        )
        return row is not None

    def wake(self) -> None:
        self._wake.set()

    async def wait_for_cycle(self, *, after: int, timeout: float) -> None:
        """Return once the worker has finished a cycle that ended after cycle number `after`.

        Read `cycles` before checking the database, then wait with that number: a cycle that
        ends in between is not missed.
        """
        async with self._cycle_done:
            await asyncio.wait_for(self._cycle_done.wait_for(lambda: self.cycles > after), timeout)

    # ---------------------------------------------------------------- worker

    async def start(self, sender: Sender) -> None:
        self.sender = sender
        await self._recover()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-worker")

    async def _recover(self) -> None:
        """After a stop or crash: reserved rows go back to the queue; rows whose call had begun
        are resent or given up according to their kind."""
        async with self.db.write() as session:
            requeued = await store.requeue_reserved(session)
            resent = given_up = 0
            for row in await store.in_flight(session):
                if self._resend_when_uncertain(row):
                    row.status, row.error = DeliveryStatus.PENDING, "interrupted while sending"
                    resent += 1
                else:
                    row.status, row.payload = DeliveryStatus.FAILED, {}
                    row.error = "interrupted while sending; may have arrived, not repeated"
                    given_up += 1
                session.add(row)
            await session.commit()
        if requeued or resent or given_up:
            logger.warning(
                "outbox_recovered requeued=%d resent=%d given_up=%d", requeued, resent, given_up
            )

    def _resend_when_uncertain(self, row: OutboxMessage) -> bool:
        return any(row.purpose_key.startswith(prefix) for prefix in self.at_least_once)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, STOP_GRACE_SECONDS)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                delivered = await self.deliver_due()
            except Exception:
                logger.exception("outbox_cycle_failed")
                delivered = 0
            self.cycles += 1
            async with self._cycle_done:
                self._cycle_done.notify_all()
            if delivered:
                continue
            await self._sleep_until_due()

    async def _sleep_until_due(self) -> None:
        # Clear before looking: a wake() that arrives while we query must not be lost, and a
        # stop() that came before the clear is seen here (it sets `_stopping` first).
        self._wake.clear()
        if self._stopping:
            return
        async with self.db.session() as session:
            due = await store.next_due_time(session)
        delay = IDLE_WAKEUP
        if due is not None:
            delay = min(delay, max(dt.timedelta(0), due - self.clock.now()))
        if delay > dt.timedelta(0):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay.total_seconds())

    async def deliver_due(self) -> int:
        """Claim and send what is due now; returns how many rows were handled."""
        async with self.db.write() as session:
            due = list(await store.due_messages(session, now=self.clock.now(), limit=BATCH_SIZE))
            rows: list[OutboxMessage] = []
            for row in due:
                wanted = await self._wanted(session, row)
                if wanted is True:
                    row.status = DeliveryStatus.RESERVED
                    row.attempts += 1
                    rows.append(row)
                elif wanted is False:
                    row.status, row.payload = DeliveryStatus.WITHDRAWN, {}
                    row.error = "no longer wanted when it fell due"
                    session.add(row)
                    await self._settled(session, row)
                else:  # the check itself failed: ask again later, keep the message
                    row.not_before = self.clock.now() + self.settings.send_retry_backoff
                    row.error = "still-wanted check failed; asking again"
                session.add(row)
            await session.commit()
        if not due:
            return 0
        limit = asyncio.Semaphore(CONCURRENT_SENDS)

        async def deliver_chat(chat_rows: list[OutboxMessage]) -> None:
            async with limit:
                await self._deliver_chat(chat_rows)

        by_chat: dict[int, list[OutboxMessage]] = {}
        for row in rows:
            by_chat.setdefault(row.chat_id, []).append(row)
        await asyncio.gather(*(deliver_chat(chat_rows) for chat_rows in by_chat.values()))
        return len(due)

    async def _wanted(self, session: Any, row: OutboxMessage) -> bool | None:
        """True: send; False: withdraw; None: the check failed, decide later."""
        for prefix, check in self.still_wanted.items():
            if not row.purpose_key.startswith(prefix):
                continue
            try:
                wanted = await check(session, row, self.clock.now())
            except Exception:
                # Not a "no": a passing error must not withdraw the message for good.
                logger.exception("outbox_wanted_check_failed key=%s", row.purpose_key)
                return None
            if not wanted:
                logger.info("outbox_withdrawn key=%s reason=not_wanted", row.purpose_key)
                return False
        return True

    async def _deliver_chat(self, rows: list[OutboxMessage]) -> None:
        """Send one chat's claimed rows in order; stop at the first row that makes it wait."""
        for index, row in enumerate(rows):
            if self._stopping:
                await self._release(rows[index:], not_before=None)
                return
            pause = self._pause_for(row.chat_id)
            if pause is not None:
                # Back to the queue, not a sleep: other chats go on meanwhile.
                await self._release(rows[index:], not_before=self.clock.now() + pause)
                return
            rest = rows[index + 1 :]
            hold = await self._deliver(row, rest)
            if hold is _CHAT_DONE:
                return
            if isinstance(hold, dt.datetime):
                await self._release(rest, not_before=hold)
                return

    async def _deliver(
        self, row: OutboxMessage, rest: list[OutboxMessage]
    ) -> dt.datetime | object | None:
        """Send one row and record the outcome; `rest` are the chat's rows claimed after it.

        Returns None to go on with the chat's next row, a time until which `rest` waits, or
        `_CHAT_DONE` when `rest` was settled already (the chat is unreachable).
        """
        assert self.sender is not None and row.id is not None
        async with self.db.write() as session:
            began = await store.mark_sending(session, row_id=row.id)
            await session.commit()
        if not began:  # withdrawn or erased since it was reserved
            return None
        try:
            outcome = await self.sender.send(
                chat_id=row.chat_id, method=row.method, payload=row.payload
            )
        finally:
            if _is_private(row.chat_id):
                self.pacer.sent(row.chat_id)
        match outcome:
            case Delivered(message_id=message_id):
                await self._finish(row, DeliveryStatus.SENT, message_id=message_id,
                                   delivered=outcome)  # fmt: skip
            case Migrated(new_chat_id=new_chat_id):
                await self._migrated(row, new_chat_id)
                return self.clock.now()  # `rest` moved too; it goes out in the next cycle
            case Unreachable(reason=reason):
                await self._unreachable(row, reason, rest)
                return _CHAT_DONE
            case RetryAfter(delay=delay, reason=reason):
                return await self._reschedule(row, delay, reason, count_attempt=False)
            case Failed(reason=reason, maybe_delivered=True) if not self._resend_when_uncertain(
                row
            ):
                error = f"timed out; may have arrived, not repeated: {reason}"
                await self._finish(row, DeliveryStatus.FAILED, error=error)
            case Failed(reason=reason, transient=True):
                if row.attempts < self.settings.send_max_attempts:
                    backoff = self.settings.send_retry_backoff * (2 ** (row.attempts - 1))
                    return await self._reschedule(row, backoff, reason)
                error = f"gave up after {row.attempts} attempts: {reason}"
                await self._finish(row, DeliveryStatus.FAILED, error=error)
            case Failed(reason=reason):
                await self._finish(row, DeliveryStatus.FAILED, error=reason)
        return None

    def _pause_for(self, chat_id: int) -> dt.timedelta | None:
        """How long a private chat must wait for its next message; None: send now.

        Groups have no such pause here: their 20 a minute is the rate limiter's.
        """
        if not _is_private(chat_id):
            return None
        seconds = self.pacer.wait(chat_id)
        return dt.timedelta(seconds=seconds) if seconds > 0 else None

    async def _release(self, rows: list[OutboxMessage], *, not_before: dt.datetime | None) -> None:
        """Give claimed but unattempted rows back to the queue, as if never claimed."""
        if not rows:
            return
        async with self.db.write() as session:
            await store.release(session, ids=_ids(rows), not_before=not_before)
            await session.commit()
        self.wake()

    async def _finish(
        self,
        row: OutboxMessage,
        status: DeliveryStatus,
        *,
        error: str | None = None,
        message_id: int | None = None,
        delivered: Delivered | None = None,
    ) -> None:
        async with self.db.write() as session:
            stored = await session.get(OutboxMessage, row.id)
            if stored is None:  # erased meanwhile (/forget): nothing left to record
                return
            stored.status, stored.error = status, error
            # Texts may quote members; once delivered (or given up) only the key is needed.
            stored.payload = {}
            if message_id is not None:
                stored.message_id, stored.sent_at = message_id, self.clock.now()
            session.add(stored)
            if delivered is not None:
                for prefix, hook in self.delivered_hooks.items():
                    if stored.purpose_key.startswith(prefix):
                        await hook(session, stored, delivered)
            await self._settled(session, stored)
            await session.commit()
        log = logger.info if status is DeliveryStatus.SENT else logger.warning
        log("outbox_%s key=%s chat=%s error=%s", status.value, row.purpose_key, row.chat_id, error)

    async def _settled(self, session: Any, row: OutboxMessage) -> None:
        hooks = [h for p, h in self.settled_hooks.items() if row.purpose_key.startswith(p)]
        if hooks:  # most rows have none: no flush on the delivery path
            await session.flush()  # the hooks' own queries see this row's final status
        for hook in hooks:
            await hook(session, row)

    async def _reschedule(
        self, row: OutboxMessage, delay: dt.timedelta, reason: str, *, count_attempt: bool = True
    ) -> dt.datetime:
        """Put the row back for a later attempt; returns when it is due again."""
        due = self.clock.now() + delay
        async with self.db.write() as session:
            stored = await session.get(OutboxMessage, row.id)
            if stored is None:  # erased meanwhile (/forget)
                return due
            stored.status, stored.error = DeliveryStatus.PENDING, reason
            stored.not_before = due
            if not count_attempt:
                stored.attempts -= 1
            session.add(stored)
            await session.commit()
        logger.warning(
            "outbox_retry key=%s in=%.1fs reason=%s", row.purpose_key, delay.total_seconds(), reason
        )
        self.wake()
        return due

    async def _unreachable(
        self, row: OutboxMessage, reason: str, rest: list[OutboxMessage]
    ) -> None:
        async with self.db.write() as session:
            stored = await session.get(OutboxMessage, row.id)
            if stored is not None:  # None: erased meanwhile (/forget)
                stored.status, stored.error = DeliveryStatus.UNREACHABLE, reason
                stored.payload = {}
                session.add(stored)
                await self._settled(session, stored)
            # The chat's other rows, queued or claimed in this batch, are not attempted.
            await store.release(session, ids=_ids(rest), not_before=None)
            await store.mark_chat_unreachable(session, chat_id=row.chat_id, reason=reason)
            for hook in self.unreachable_hooks:
                await hook(session, row.chat_id, self.clock.now())
            await session.commit()
        logger.info("outbox_unreachable key=%s chat=%s", row.purpose_key, row.chat_id)

    async def _migrated(self, row: OutboxMessage, new_chat_id: int) -> None:
        async with self.db.write() as session:
            await chat_store.migrate_chat(session, old_chat_id=row.chat_id, new_chat_id=new_chat_id)
            stored = await session.get(OutboxMessage, row.id)
            if stored is None:  # erased meanwhile
                await session.commit()
                return
            stored.status, stored.chat_id = DeliveryStatus.PENDING, new_chat_id
            stored.attempts -= 1
            session.add(stored)
            await session.commit()
        logger.info("outbox_chat_migrated old=%s new=%s", row.chat_id, new_chat_id)
        self.wake()


def _is_private(chat_id: int) -> bool:
    """Private chats have the user's (positive) id; groups and channels negative ones."""
    return chat_id > 0


def _ids(rows: list[OutboxMessage]) -> list[int]:
    return [row.id for row in rows if row.id is not None]
