"""A catalog text for the person who asked, as a use case hands it back (no Telegram here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Notice:
    """The text `key` with its `params`; the handler shows it in the person's language (the
    params are HTML-escaped then)."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)
