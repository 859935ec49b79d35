"""Read the numbers people type (a round, a question, a Telegram id) without surprises."""

from __future__ import annotations

import re

# ASCII digits only: "²".isdigit() is True but int("²") fails; and at most 15 digits so a
# value always fits a 64-bit database integer.
_NUMBER = re.compile(r"[0-9]{1,15}")


def parse_number(text: str) -> int | None:
    """`"12"` → 12; anything else (letters, "²", "-1", 20 digits) → None."""
    text = text.strip()
    return int(text) if _NUMBER.fullmatch(text) else None


def parse_telegram_id(text: str) -> int | None:
    """A user id as Telegram shows it (positive, at most 15 digits)."""
    number = parse_number(text)
    return number if number else None
