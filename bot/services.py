"""The services every handler and job may use, reachable through a typed context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import Translator
from storage.db import Database

if TYPE_CHECKING:
    from bot.checkin import RoundCache
    from bot.outbox import Outbox


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    translate: Translator
    outbox: Outbox
    round_cache: RoundCache  # the open check-in round, read once per open or close


class AlumniApplication(Application):  # type: ignore[type-arg]
    """PTB's Application carrying our services as a typed attribute (not `bot_data["x"]`)."""

    def __init__(self, *, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Callback context with `context.services`."""

    @property
    def services(self) -> Services:
        return cast(AlumniApplication, self.application).services
