"""What the outbox needs from a messenger: send one stored message, say plainly how it went.

The outbox decides what each outcome means for the row (retry, give up, mark the chat); the
Telegram adapter (`handlers.sender`) maps the Bot API's answers and errors onto these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Delivered:
    message_id: int
    poll_id: str | None = None  # Telegram's id of a poll that was sent


@dataclass(frozen=True)
class RetryAfter:
    """Flood control: try again after `delay` (not a failed attempt)."""

    delay: dt.timedelta
    reason: str


@dataclass(frozen=True)
class Unreachable:
    """The chat does not take messages from the bot (blocked, deleted, kicked)."""

    reason: str


@dataclass(frozen=True)
class Migrated:
    """The group became a supergroup with a new id; send there."""

    new_chat_id: int


@dataclass(frozen=True)
class Failed:
    """Not delivered. `transient` failures (server errors, timeouts) may succeed later;
    `maybe_delivered` means the call timed out, so Telegram may have delivered it anyway."""

    reason: str
    transient: bool
    maybe_delivered: bool = False


Outcome = Delivered | RetryAfter | Unreachable | Migrated | Failed


class Sender(Protocol):
    async def send(self, *, chat_id: int, method: str, payload: dict[str, Any]) -> Outcome:
        """Deliver one message (`method` as stored: send_message, send_document, send_poll)."""
        ...
