"""Invite links: a code in a `t.me/<bot>?start=<code>` link that pre-selects a cohort."""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum

from storage.tables import Invite

# Telegram allows A-Z, a-z, 0-9, _ and - in a start parameter; token_urlsafe uses exactly those.
CODE_BYTES = 9  # 12 characters


class InviteStatus(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def looks_like_code(text: str) -> bool:
    """Worth a database look-up: the shape our codes have (anything else is unknown)."""
    return 1 <= len(text) <= 32 and all(
        ch.isascii() and (ch.isalnum() or ch in "_-") for ch in text
    )


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def status(invite: Invite | None, *, now: dt.datetime) -> InviteStatus:
    if invite is None:
        return InviteStatus.UNKNOWN
    if invite.revoked_at is not None:
        return InviteStatus.REVOKED
    if invite.expires_at is not None and invite.expires_at <= now:
        return InviteStatus.EXPIRED
    return InviteStatus.VALID
