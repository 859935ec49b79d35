"""The one source of "now" for every rule and schedule.

It runs with real time; tests and the demo move it forward instead of waiting (`advance`,
`move_to`), and whoever keeps timers (the job schedules, the outbox) subscribes with `on_change`
to re-arm them against the new "now".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from storage.types import utcnow

Listener = Callable[[], Awaitable[None]]


class Clock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self._offset = dt.timedelta(0) if start is None else start - utcnow()
        self._listeners: list[Listener] = []

    def now(self) -> dt.datetime:
        """The current moment, aware UTC."""
        return utcnow() + self._offset

    def seconds_until(self, moment: dt.datetime) -> float:
        """Real seconds to wait for `moment` (0 when it has come)."""
        return max(0.0, (moment - self.now()).total_seconds())

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def forget_listeners(self) -> None:
        """A stopped application no longer keeps timers; the next one subscribes anew."""
        self._listeners.clear()

    async def advance(self, delta: dt.timedelta) -> None:
        """Let `delta` pass at once; timers that fell due meanwhile fire now."""
        if delta < dt.timedelta(0):
            raise ValueError("the clock only moves forward")
        self._offset += delta
        for listener in list(self._listeners):
            await listener()

    async def move_to(self, moment: dt.datetime) -> None:
        await self.advance(max(dt.timedelta(0), moment - self.now()))
