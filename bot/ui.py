"""What a use case hands back to show a person: text plus button descriptions, no Telegram.

The Telegram adapter (`handlers.keyboards`) turns these into inline keyboards; the outbox stores
them as the plain JSON Telegram expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """An inline button: `data` is callback data (≤ 64 bytes), or `url` opens a link."""

    text: str
    data: str | None = None
    url: str | None = None

    def as_api(self) -> dict[str, str]:
        found: dict[str, str] = {"text": self.text}
        if self.url is not None:
            found["url"] = self.url
        else:
            found["callback_data"] = self.data or ""
        return found


Keyboard = list[list[Button]]


def keyboard_as_api(keyboard: Keyboard) -> dict[str, Any]:
    """The `reply_markup` JSON of an inline keyboard."""
    return {"inline_keyboard": [[button.as_api() for button in row] for row in keyboard]}


@dataclass
class Reply:
    """One message to show: safe HTML text and its buttons (none: an empty keyboard)."""

    text: str
    buttons: Keyboard = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """Something a person typed that must be fixed: a catalog key with its parameters."""

    key: str
    params: dict[str, object] = field(default_factory=dict)
