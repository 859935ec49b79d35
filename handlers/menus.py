"""The command menu Telegram shows, per audience and language (`setMyCommands`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import Translator


class Audience(StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class MenuCommand:
    name: str
    audience: Audience

    @property
    def description_key(self) -> str:
        return f"command.{self.name}"


# The order here is the order of the menu. Coordinators see member commands too.
MENU: tuple[MenuCommand, ...] = (
    MenuCommand("start", Audience.MEMBER),
    MenuCommand("help", Audience.MEMBER),
    MenuCommand("profile", Audience.MEMBER),
    MenuCommand("pause", Audience.MEMBER),
    MenuCommand("resume", Audience.MEMBER),
    MenuCommand("language", Audience.MEMBER),
    MenuCommand("export", Audience.MEMBER),
    MenuCommand("forget", Audience.MEMBER),
    MenuCommand("checkin", Audience.MEMBER),
    MenuCommand("polls", Audience.MEMBER),
    MenuCommand("meetups", Audience.MEMBER),
    MenuCommand("invite", Audience.COORDINATOR),
    MenuCommand("cohorts", Audience.COORDINATOR),
    MenuCommand("members", Audience.COORDINATOR),
    MenuCommand("coordinator", Audience.COORDINATOR),
    MenuCommand("setgroup", Audience.COORDINATOR),
    MenuCommand("round", Audience.COORDINATOR),
    MenuCommand("questions", Audience.COORDINATOR),
    MenuCommand("digest", Audience.COORDINATOR),
    MenuCommand("poll", Audience.COORDINATOR),
    MenuCommand("meetup", Audience.COORDINATOR),
    MenuCommand("broadcast", Audience.COORDINATOR),
)


def commands_for(audience: Audience, language: str, translate: Translator) -> list[BotCommand]:
    wanted = {Audience.MEMBER} if audience is Audience.MEMBER else set(Audience)
    return [
        BotCommand(command.name, str(translate(language, command.description_key)))
        for command in MENU
        if command.audience in wanted and translate.has(command.description_key)
    ]


async def publish_member_menu(bot: Bot, translate: Translator) -> None:
    """Member commands for every private chat, in German (default) and English."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(
        commands_for(Audience.MEMBER, translate.default_language, translate), scope=scope
    )
    for language in SUPPORTED_LANGUAGES:
        await bot.set_my_commands(
            commands_for(Audience.MEMBER, language, translate), scope=scope, language_code=language
        )


async def publish_coordinator_menu(
    bot: Bot, translate: Translator, *, chat_id: int, language: str
) -> bool:
    """The coordinator menu in one coordinator's private chat; False if Telegram refused."""
    try:
        await bot.set_my_commands(
            commands_for(Audience.COORDINATOR, language, translate),
            scope=BotCommandScopeChat(chat_id),
        )
    except TelegramError:
        # A coordinator who never opened the chat: the menu follows at their first /start.
        return False
    return True
