"""Telegram's flood control as the sandbox plays it, and its record of every 429.

Three limits apply to every message the bot sends (`SandboxLimits`):
- overall: at most `messages_per_second` accepted in any one-second window;
- per group: at most `group_messages_per_minute` in any sixty-second window;
- per private chat: a short burst, then about one a second (a token bucket, kept as GCRA:
  `private_chat_burst` at once, refilled at `private_chat_messages_per_second`).

Beyond a limit the call is answered 429 with `retry_after`. A client told to wait that keeps
sending before the wait is over is told to wait longer each time (doubling up to a cap), as
Telegram does under sustained flooding; once it waits out its `retry_after` and sends again,
it starts afresh. The penalty belongs to what was flooded: the whole bot for the overall limit,
the one chat for a chat's limit.

Times are real (monotonic) seconds, not the bot's clock that tests move forward: flood control
is about how fast requests really arrive.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

# The key under which a penalty for the overall limit is kept (chat ids are never 0).
OVERALL = 0


@dataclass
class SandboxLimits:
    """Telegram's flood limits; benchmarks and tests scale them.

    `retry_after_seconds` is the first answer to a flood (Telegram answers whole seconds; the
    real value varies, a constant keeps tests predictable); it doubles for each call that comes
    while the client was told to wait, up to `retry_after_max_seconds`. Calls within
    `flood_grace_seconds` of a 429 were on their way before the client could know and are not
    held against it.
    """

    messages_per_second: float = 30.0
    group_messages_per_minute: int = 20
    private_chat_burst: int = 3
    private_chat_messages_per_second: float = 1.0
    retry_after_seconds: int = 1
    retry_after_max_seconds: int = 32
    flood_grace_seconds: float = 0.2


@dataclass(frozen=True)
class FloodRefusal:
    """One 429 the sandbox answered."""

    at: float  # monotonic seconds
    method: str
    chat_id: int
    reason: str  # overall | group | private_chat | penalty | injected
    retry_after: int


@dataclass
class _Penalty:
    until: float  # no call is accepted before this moment
    retry_after: int  # the last retry_after answered
    answered_at: float  # when that 429 was answered


@dataclass
class FloodLog:
    """Every message accepted and every 429 answered, for tests and benchmarks to assert on."""

    accepted: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, chat id)
    refusals: list[FloodRefusal] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many 429s were answered, for any reason."""
        return len(self.refusals)

    def by_chat(self) -> Counter[int]:
        return Counter(refusal.chat_id for refusal in self.refusals)

    def by_reason(self) -> Counter[str]:
        return Counter(refusal.reason for refusal in self.refusals)

    def busiest_window(self, seconds: float = 1.0, *, chat_id: int | None = None) -> int:
        """The most messages accepted within any window of `seconds` (of one chat, or all)."""
        times = [at for at, chat in self.accepted if chat_id is None or chat == chat_id]
        most, first = 0, 0
        for last, at in enumerate(times):
            while at - times[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    def times_of(self, chat_id: int) -> list[float]:
        """When each message to `chat_id` was accepted, in order."""
        return [at for at, chat in self.accepted if chat == chat_id]


class TooManyRequests(Exception):
    """A call refused by flood control; the server answers it with 429 and `retry_after`."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too Many Requests: retry after {retry_after}")
        self.retry_after = retry_after


class FloodControl:
    """Decides for each sending call whether Telegram would take it now."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self.log = FloodLog()
        self._overall: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        # Per private chat: GCRA's "theoretical arrival time" of the next message.
        self._private_due: dict[int, float] = {}
        self._penalties: dict[int, _Penalty] = {}

    def check(self, limits: SandboxLimits, *, method: str, chat_id: int, private: bool) -> None:
        """Accept (and count) the call, or raise `TooManyRequests`.

        `limits` is passed each time because tests swap the server's limits mid-test.
        """
        now = self.now()
        for key in (OVERALL, chat_id):
            penalty = self._penalties.get(key)
            if penalty is not None and now < penalty.until:
                self._refuse(limits, now, method, chat_id, "penalty", key, escalate=True)
        reason = self._over_limit(limits, now, chat_id, private)
        if reason is not None:
            key = OVERALL if reason == "overall" else chat_id
            self._refuse(limits, now, method, chat_id, reason, key, escalate=False)
        # The client behaved (waited its turn): whatever it was told before is forgiven.
        self._penalties.pop(OVERALL, None)
        self._penalties.pop(chat_id, None)
        self._count(limits, now, chat_id, private)

    def record_injected(self, method: str, chat_id: int, retry_after: int) -> None:
        """A 429 a test asked for (`fail_next(status=429)`): logged, no penalty follows."""
        self.log.refusals.append(FloodRefusal(self.now(), method, chat_id, "injected", retry_after))

    def reset(self) -> None:
        """Forget every window and penalty (the log stays)."""
        self._overall.clear()
        self._groups.clear()
        self._private_due.clear()
        self._penalties.clear()

    def _over_limit(
        self, limits: SandboxLimits, now: float, chat_id: int, private: bool
    ) -> str | None:
        while self._overall and now - self._overall[0] >= 1.0:
            self._overall.popleft()
        if len(self._overall) >= limits.messages_per_second:
            return "overall"
        if chat_id < 0:
            sent = self._groups.setdefault(chat_id, deque())
            while sent and now - sent[0] >= 60.0:
                sent.popleft()
            if len(sent) >= limits.group_messages_per_minute:
                return "group"
        elif private and limits.private_chat_messages_per_second > 0:
            interval = 1.0 / limits.private_chat_messages_per_second
            due = self._private_due.get(chat_id, now)
            # GCRA: a message may come up to `burst - 1` intervals ahead of the steady rate.
            if now < due - (limits.private_chat_burst - 1) * interval:
                return "private_chat"
        return None

    def _count(self, limits: SandboxLimits, now: float, chat_id: int, private: bool) -> None:
        self._overall.append(now)
        if chat_id < 0:
            self._groups[chat_id].append(now)
        elif private and limits.private_chat_messages_per_second > 0:
            interval = 1.0 / limits.private_chat_messages_per_second
            self._private_due[chat_id] = max(self._private_due.get(chat_id, now), now) + interval
        self.log.accepted.append((now, chat_id))

    def _refuse(
        self,
        limits: SandboxLimits,
        now: float,
        method: str,
        chat_id: int,
        reason: str,
        key: int,
        *,
        escalate: bool,
    ) -> None:
        penalty = self._penalties.get(key)
        if penalty is None:
            retry_after = limits.retry_after_seconds
        elif escalate and now - penalty.answered_at >= limits.flood_grace_seconds:
            # Sent again although told to wait: the wait grows.
            retry_after = min(penalty.retry_after * 2, limits.retry_after_max_seconds)
        else:
            retry_after = penalty.retry_after  # still on its way when the 429 went out
        until = max(now + retry_after, penalty.until if penalty else now)
        if penalty is None or retry_after != penalty.retry_after:
            self._penalties[key] = _Penalty(until, retry_after, now)
        self.log.refusals.append(FloodRefusal(now, method, chat_id, reason, retry_after))
        raise TooManyRequests(retry_after)
