"""Messages in a private chat that are not commands go where the member's dialogue stands.

The position comes from the database (`Member.awaiting`, e.g. "profile:region" or "checkin:3"),
so after a restart a member's next message lands exactly where they left off. Each feature adds
a route for its prefix in `handlers.register_handlers`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Update

from bot.dialogue import dialogue_of, member_for_message
from handlers.common import reply
from handlers.context import BotContext
from storage.tables import Member

logger = logging.getLogger(__name__)

# A route receives any non-command message (text, photo, sticker, voice...) and the member.
TextRoute = Callable[[Update, BotContext, Member], Awaitable[None]]
# A fallback may claim a message when the member is in no dialogue; returns True if it did.
Fallback = Callable[[Update, BotContext, Member | None], Awaitable[bool]]


class TextRouter:
    def __init__(self) -> None:
        self._routes: dict[str, TextRoute] = {}
        self._fallbacks: list[Fallback] = []
        self._claims: list[Fallback] = []

    def route(self, prefix: str, handler: TextRoute) -> None:
        if prefix in self._routes:
            raise ValueError(f"route {prefix!r} registered twice")
        self._routes[prefix] = handler

    def claim(self, handler: Fallback) -> None:
        """Asked first, whatever the member's dialogue: a short dialogue of its own (a guided
        /poll) takes the message while it runs; returns True if it did."""
        self._claims.append(handler)

    def fallback(self, handler: Fallback) -> None:
        self._fallbacks.append(handler)

    async def handle(self, update: Update, context: BotContext) -> None:
        """The member's message is taken as the answer to whatever the bot last asked them."""
        user = update.effective_user
        if user is None:
            return
        member = await member_for_message(context.services, telegram_id=user.id)
        for claim in self._claims:
            if await claim(update, context, member):
                return
        dialogue = dialogue_of(member)
        if member is not None and dialogue is not None:
            route = self._routes.get(dialogue)
            if route is not None:
                await route(update, context, member)
                return
            logger.warning("unknown_dialogue_state awaiting=%s", member.awaiting)
        for fallback in self._fallbacks:
            if await fallback(update, context, member):
                return
        await reply(update, context, "text.not_understood")
