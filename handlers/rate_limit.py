"""PTB rate limiter that never lets more than N requests into any window of the period.

PTB's `AIORateLimiter` uses aiolimiter's leaky bucket: a full bucket lets `max_rate` through at
once and keeps dripping meanwhile, so the first second can see almost twice the rate — and
Telegram answers the excess with 429. Here a request holds its place in the window from the
moment it starts until one period after its answer came back. Telegram sees a request arrive
somewhere between those two moments, so no window of Telegram's can hold more than N
(whatever the network delays): the bot stays under the limit by construction, at the cost of
one round trip per period.

Like `AIORateLimiter`: the overall limit counts every request that names a chat, groups and
channels have their own limit on top, and a `RetryAfter` pauses every request for the time
Telegram asked and then retries (up to `max_retries`, or the call's `rate_limit_args`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
# Idle group windows are dropped beyond this many, so a bot in many groups stays small.
MAX_IDLE_GROUP_WINDOWS = 512


class SlidingWindow:
    """At most `max_calls` calls within any `period` seconds, counted from start to answer."""

    def __init__(self, max_calls: int, period: float) -> None:
        if max_calls < 1 or period <= 0:
            raise ValueError("a window needs at least one call and a positive period")
        self.max_calls = max_calls
        self.period = period
        self._in_flight = 0
        self._finished: deque[float] = deque()  # when each answer came back (loop time)
        self._changed = asyncio.Condition()

    def _used(self, now: float) -> int:
        while self._finished and now - self._finished[0] >= self.period:
            self._finished.popleft()
        return self._in_flight + len(self._finished)

    @property
    def idle(self) -> bool:
        loop = asyncio.get_running_loop()
        return self._used(loop.time()) == 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._changed:
            while self._used(loop.time()) >= self.max_calls:
                # Either the oldest answer leaves the window, or a call in flight finishes.
                wait = self._finished[0] + self.period - loop.time() if self._finished else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
            self._in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._finished.append(loop.time())
                self._changed.notify_all()


class WindowRateLimiter(BaseRateLimiter[int]):
    """Overall and per-group sliding windows; retries after `RetryAfter` like PTB's limiter."""

    def __init__(
        self,
        *,
        overall_max_rate: int,
        overall_time_period: float = 1.0,
        group_max_rate: int,
        group_time_period: float = 60.0,
        max_retries: int = 0,
    ) -> None:
        self._overall = SlidingWindow(overall_max_rate, overall_time_period)
        self._group_max_rate = group_max_rate
        self._group_time_period = group_time_period
        self._groups: dict[int | str, SlidingWindow] = {}
        self._max_retries = max_retries
        self._not_paused = asyncio.Event()
        self._not_paused.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    def _group_window(self, chat: int | str) -> SlidingWindow:
        if len(self._groups) > MAX_IDLE_GROUP_WINDOWS:
            for key, window in list(self._groups.items()):
                if key != chat and window.idle:
                    del self._groups[key]
        if chat not in self._groups:
            self._groups[chat] = SlidingWindow(self._group_max_rate, self._group_time_period)
        return self._groups[chat]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        max_retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        chat = data.get("chat_id")
        group = _group_of(chat)
        for attempt in range(max_retries + 1):
            try:
                return await self._run(callback, args, kwargs, chat is not None, group)
            except RetryAfter as exc:
                if attempt == max_retries:
                    raise
                pause = exc.retry_after
                seconds = pause if isinstance(pause, int | float) else pause.total_seconds()
                logger.info("flood_control endpoint=%s retry_in=%.1fs", endpoint, seconds)
                # Every request waits: sending on while told to wait makes Telegram's wait longer.
                self._not_paused.clear()
                try:
                    await asyncio.sleep(seconds + 0.1)
                finally:
                    self._not_paused.set()
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _run(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        counted: bool,
        group: int | str | None,
    ) -> JSONResult:
        async with contextlib.AsyncExitStack() as stack:
            # The group's window first: a request waiting for its group holds no overall place.
            if group is not None:
                await stack.enter_async_context(self._group_window(group).slot())
            if counted:
                await stack.enter_async_context(self._overall.slot())
            await self._not_paused.wait()
            return await callback(*args, **kwargs)
        raise AssertionError("unreachable")


def _group_of(chat: object) -> int | str | None:
    """Groups and channels have negative ids or `@username`s; private chats positive ids."""
    if isinstance(chat, str):
        with contextlib.suppress(ValueError):
            chat = int(chat)
    if isinstance(chat, str) or (isinstance(chat, int) and chat < 0):
        return chat
    return None
