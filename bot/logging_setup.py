"""Logging: concise key=value lines (or JSON), noisy libraries quiet, the token never shown."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

REDACTED = "[REDACTED]"


class RedactSecrets(logging.Filter):
    """Replace every secret in a record's final text, whatever logger or level produced it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        exc_text = None
        if record.exc_info:
            exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self._secrets:
            message = message.replace(secret, REDACTED)
            if exc_text is not None:
                exc_text = exc_text.replace(secret, REDACTED)
        record.msg, record.args = message, None
        if exc_text is not None:
            record.exc_info, record.exc_text = None, exc_text
        return True


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
    handler.setFormatter(formatter)
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
