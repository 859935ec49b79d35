"""The outbox's sender for the real Bot API: PTB calls in, plain outcomes out."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot import delivery
from bot.clock import Clock
from bot.polls.rules import telegram_close_date

logger = logging.getLogger(__name__)


class TelegramSender:
    def __init__(self, bot: Bot, *, redact: Callable[[str], str], clock: Clock) -> None:
        self.bot = bot
        self._clock = clock  # Telegram's close_date window counts from the moment of sending
        self._redact = redact  # an error may quote the request URL, which holds the token

    async def send(self, *, chat_id: int, method: str, payload: dict[str, Any]) -> delivery.Outcome:
        try:
            if method == "stop_poll":
                return await self._stop_poll(chat_id, payload)
            if method == "edit_message_text":
                return await self._edit(chat_id, payload)
            message = await self._call(chat_id, method, payload)
        except ChatMigrated as exc:
            return delivery.Migrated(int(exc.new_chat_id))
        except Forbidden as exc:
            return delivery.Unreachable(self._reason(exc))
        except RetryAfter as exc:
            retry_after = exc.retry_after
            delay = (
                retry_after
                if isinstance(retry_after, dt.timedelta)
                else dt.timedelta(seconds=float(retry_after))
            )
            return delivery.RetryAfter(delay, f"flood control: {self._reason(exc)}")
        except BadRequest as exc:
            return delivery.Failed(self._reason(exc), transient=False)
        except TimedOut as exc:  # the request went out; only the answer is missing
            return delivery.Failed(self._reason(exc), transient=True, maybe_delivered=True)
        except NetworkError as exc:  # 5xx, timeouts, connection errors
            return delivery.Failed(self._reason(exc), transient=True)
        except Exception as exc:
            logger.exception("outbox_send_crashed chat=%s method=%s", chat_id, method)
            return delivery.Failed(f"{type(exc).__name__}: {self._reason(exc)}", transient=False)
        return delivery.Delivered(message.message_id, message.poll.id if message.poll else None)

    async def _stop_poll(self, chat_id: int, payload: dict[str, Any]) -> delivery.Outcome:
        try:
            await self.bot.stop_poll(chat_id, payload["message_id"])
        except BadRequest as exc:
            # Telegram closed it by itself at its close_date: what we wanted has happened.
            if "already been closed" not in str(exc):
                raise
        return delivery.Delivered(int(payload["message_id"]))

    async def _edit(self, chat_id: int, payload: dict[str, Any]) -> delivery.Outcome:
        markup = (
            InlineKeyboardMarkup.de_json(payload["reply_markup"], self.bot)
            if payload.get("reply_markup")
            else None
        )
        try:
            await self.bot.edit_message_text(
                payload["text"], chat_id=chat_id, message_id=payload["message_id"],
                parse_mode=ParseMode.HTML, reply_markup=markup,
            )  # fmt: skip
        except BadRequest as exc:
            # The message already shows exactly this (a coalesced edit caught up): done.
            if "not modified" not in str(exc):
                raise
        return delivery.Delivered(int(payload["message_id"]))

    def _reason(self, exc: BaseException) -> str:
        return self._redact(str(exc))

    async def _call(self, chat_id: int, method: str, payload: dict[str, Any]) -> Message:
        markup = (
            InlineKeyboardMarkup.de_json(payload["reply_markup"], self.bot)
            if payload.get("reply_markup")
            else None
        )
        if method == "send_message":
            return await self.bot.send_message(
                chat_id, payload["text"], parse_mode=ParseMode.HTML, reply_markup=markup
            )
        if method == "send_poll":
            closes_at = payload.get("closes_at")
            close_date = (
                telegram_close_date(dt.datetime.fromisoformat(closes_at), now=self._clock.now())
                if closes_at
                else None
            )
            return await self.bot.send_poll(
                chat_id,
                payload["question"],
                payload["options"],
                is_anonymous=payload.get("is_anonymous", False),
                allows_multiple_answers=payload.get("allows_multiple_answers", False),
                hide_results_until_closes=payload.get("hide_results_until_closes") or None,
                close_date=close_date,
            )
        if method in ("send_photo", "send_document"):
            send_file = self.bot.send_photo if method == "send_photo" else self.bot.send_document
            return await send_file(
                chat_id,
                base64.b64decode(payload["content_b64"]),
                filename=payload["filename"],
                caption=payload.get("caption"),
                parse_mode=ParseMode.HTML,
            )
        raise ValueError(f"unknown outbox method {method!r}")
