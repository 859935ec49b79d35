"""PTB's Application and callback context, carrying our services as a typed attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services

if TYPE_CHECKING:
    from handlers.intake import Intake


class AlumniApplication(Application):  # type: ignore[type-arg]
    """PTB's Application carrying our services as a typed attribute (not `bot_data["x"]`)."""

    def __init__(self, *, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.intake: Intake | None = None  # set while running (handlers.app.running)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Callback context with `context.services`."""

    @property
    def services(self) -> Services:
        return cast(AlumniApplication, self.application).services
