"""/start with the privacy notice and consent, and /help, in a private chat.

What is said and stored is decided in `bot.members.onboarding`; this module only talks to
Telegram.
"""

from __future__ import annotations

import contextlib

from markupsafe import Markup
from telegram import Update
from telegram.error import TelegramError

from bot.members import onboarding
from bot.members.callbacks import ConsentAction, ConsentButton
from bot.members.roles import may_coordinate
from handlers import coordinators
from handlers import profile as profile_dialogue
from handlers.common import language_of, remove_buttons, reply, send_replies, send_reply, send_text
from handlers.context import BotContext
from handlers.keyboards import to_markup
from handlers.menus import MENU, Audience

CALLBACK_PATTERN = ConsentButton.PATTERN

# The members' commands, answered in private chats only; in a group they get a pointer there.
PRIVATE_COMMANDS: tuple[str, ...] = tuple(
    command.name for command in MENU if command.audience is Audience.MEMBER
)


async def start(update: Update, context: BotContext) -> None:
    """A newcomer sees the welcome, the privacy notice and the consent button; a member is
    welcomed back where they left off."""
    user = update.effective_user
    if user is None:
        return
    greeting = await onboarding.greet(
        context.services,
        telegram_id=user.id,
        first_name=user.first_name,
        telegram_language=user.language_code,
        code=context.args[0] if context.args else "",
    )
    await send_replies(update, context, greeting)


async def on_consent_button(update: Update, context: BotContext) -> None:
    """Consent creates the member and starts the profile; anything else stores nothing."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    await query.answer()
    button = ConsentButton.decode(query.data)
    if button is not None and button.action is ConsentAction.OTHER_LANGUAGE:
        notice = onboarding.notice(
            context.services, language=button.language, first_name=user.first_name, code=button.code
        )
        with contextlib.suppress(TelegramError):
            await query.edit_message_text(notice.text, reply_markup=to_markup(notice.buttons))
        return
    await remove_buttons(update)
    if button is None:
        return
    if button.action is ConsentAction.NO:
        await send_reply(
            update, context, onboarding.declined(context.services, language=button.language)
        )
        return
    consent = await onboarding.consent(
        context.services,
        telegram_id=user.id,
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        language=button.language,
        code=button.code,
    )
    await send_replies(update, context, consent.replies)
    if consent.created:
        await coordinators.publish_menu_if_coordinator(context, consent.member)
    await profile_dialogue.send_step(update, context, consent.then)


def _help(context: BotContext, language: str, audience: Audience) -> str:
    """The help of one audience: its commands from the menu (same descriptions), then hints."""
    translate = context.services.translate
    lines = [str(translate(language, f"help.{audience}.heading"))]
    lines += [
        str(Markup("/{} – {}").format(command.name, translate(language, command.description_key)))
        for command in MENU
        if command.audience is audience and translate.has(command.description_key)
    ]
    lines.append(str(translate(language, f"help.{audience}.footer")))
    return "\n".join(lines)


async def help_command(update: Update, context: BotContext) -> None:
    """The member sees what they can do and whom to ask."""
    language = await language_of(update, context)
    await send_text(update, context, _help(context, language, Audience.MEMBER))
    user = update.effective_user
    if user is not None and await may_coordinate(context.services, telegram_id=user.id):
        await send_text(update, context, _help(context, language, Audience.COORDINATOR))


async def in_private_please(update: Update, context: BotContext) -> None:
    """A member command written in a group: these are answered in the private chat only."""
    await reply(update, context, "group.private_only", link=f"t.me/{context.bot.username}")


MAX_COMMAND_SHOWN = 33


async def outdated_button(update: Update, context: BotContext) -> None:
    """A press on a button no handler knows (an old message, junk data): a short notice."""
    query = update.callback_query
    if query is None:
        return
    language = await language_of(update, context)
    await query.answer(str(context.services.translate(language, "button.outdated")))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Someone typed a command the bot does not have: they hear which ones it does have."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command, _, addressee = message.text.split()[0].partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # meant for another bot
    if len(command) > MAX_COMMAND_SHOWN:  # Telegram's commands have at most 32 characters
        command = command[:MAX_COMMAND_SHOWN] + "…"
    await reply(update, context, "command.unknown", command=command)
