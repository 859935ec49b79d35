"""The services every use case may need, built once per application (no Telegram here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Translator
from storage.db import Database

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.round_cache import RoundCache


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    translate: Translator
    outbox: Outbox
    round_cache: RoundCache  # the open check-in round, read once per open or close
