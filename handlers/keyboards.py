"""Button descriptions from the use cases, turned into Telegram's inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.ui import Keyboard


def to_markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.text, url=button.url)
                if button.url is not None
                else InlineKeyboardButton(button.text, callback_data=button.data)
                for button in row
            ]
            for row in keyboard
        ]
    )
