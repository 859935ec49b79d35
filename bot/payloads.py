"""What an outbox row asks Telegram to send, as the plain JSON stored with the row."""

from __future__ import annotations

import base64
from typing import Any

from bot.ui import Keyboard, keyboard_as_api


def message_payload(text: str, *, buttons: Keyboard | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"text": str(text)}
    if buttons:
        payload["reply_markup"] = keyboard_as_api(buttons)
    return payload


def document_payload(
    *, filename: str, content: bytes, caption: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "filename": filename,
        "content_b64": base64.b64encode(content).decode("ascii"),
    }
    if caption:
        payload["caption"] = caption
    return payload
