"""How soon the outbox may send to a private chat again (Telegram: about one a second).

A token bucket per chat, kept as GCRA: `burst` messages may go at once, then one per
`interval`. The outbox asks `wait(chat)` before a send and reports `sent(chat)` once the answer
has come back. Telegram sees the message arrive between those two moments, so counting the
send at its answer (the later moment) and checking at its start (the earlier one) keeps
Telegram's view of the chat within the same bucket, whatever the network delays.

Real (monotonic) seconds, not the bot's `Clock`: tests move that clock forward, Telegram's
flood control does not move with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ChatPacer:
    def __init__(
        self, *, burst: int, interval: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = max(1, burst)
        self.interval = max(0.0, interval)
        self._now = now
        # Per chat: when the next message would be due at the steady rate (GCRA's "TAT").
        self._due: dict[int, float] = {}

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def wait(self, chat_id: int) -> float:
        """Seconds until a message to `chat_id` may go (0: now)."""
        if not self.enabled:
            return 0.0
        now = self._now()
        due = self._due.get(chat_id)
        if due is None:
            return 0.0
        if due <= now:
            del self._due[chat_id]  # a full bucket again: nothing left to remember
            return 0.0
        return max(0.0, due - (self.burst - 1) * self.interval - now)

    def sent(self, chat_id: int) -> None:
        """A message to `chat_id` was answered just now (delivered or not: counted either way)."""
        if not self.enabled:
            return
        now = self._now()
        self._due[chat_id] = max(self._due.get(chat_id, now), now) + self.interval
