"""Logging: concise key=value lines (or JSON), noisy libraries quiet, the token never shown."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote

from pythonjsonlogger.json import JsonFormatter

REDACTED = "[REDACTED]"


def secret_variants(secrets: Iterable[str]) -> list[str]:
    """Every form a secret may take in text: as is, URL-encoded, and a token's secret half.

    A bot token `123:ABC` shows up in URLs as `/bot123:ABC/` or `/bot123%3AABC/`; the part after
    the colon is the actual secret, so it is hidden even where it appears on its own.
    """
    variants: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        variants.update({secret, quote(secret, safe="")})
        _, colon, tail = secret.partition(":")
        if colon and len(tail) >= 8:
            variants.add(tail)
    # Longest first, so the whole token is replaced before its tail would be.
    return sorted(variants, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    for variant in secret_variants(secrets):
        text = text.replace(variant, REDACTED)
    return text


class RedactSecrets(logging.Filter):
    """Replace every secret in a record's message and traceback, whatever logger produced it.

    Attached to our handler; the formatter below also redacts its final output, which covers
    fields a formatter adds on its own (JSON extras, stack info).
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = secret_variants(secrets)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = f"{record.msg!r} {record.args!r}"
        exc_text = record.exc_text
        if record.exc_info:
            exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self._redact(message), None
        if exc_text is not None:
            record.exc_info, record.exc_text = None, self._redact(exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class _RedactingFormatter(logging.Formatter):
    """Wraps another formatter and redacts what it produced."""

    def __init__(self, inner: logging.Formatter, secrets: list[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = secret_variants(secrets)

    def format(self, record: logging.LogRecord) -> str:
        text = self._inner.format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class KeyValueFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(
            fmt="ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )


def configure_logging(
    *, level: str, log_format: str, secrets: list[str], stream: TextIO | None = None
) -> None:
    """Install one handler on the root logger; safe to call again (tests, demo)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter: logging.Formatter = (
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        if log_format == "json"
        else KeyValueFormatter()
    )
    handler.setFormatter(_RedactingFormatter(formatter, secrets))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_alumni_bot", False):
            root.removeHandler(old)
    handler._alumni_bot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.INFO, root.level))
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Migrations announce themselves at INFO on every start; only problems matter there.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
