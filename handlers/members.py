"""Members' own commands in a private chat: /profile, /pause, /resume, /language, /export,
/forget; and whether the bot can reach them at all."""

from __future__ import annotations

import contextlib

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.config import SUPPORTED_LANGUAGES
from bot.members import account, groups, privacy, profile_dialogue, reachability
from bot.members.callbacks import ForgetButton, LanguageButton
from handlers import coordinators
from handlers.common import (
    current_member,
    remove_buttons,
    reply,
    say,
    send_reply,
    send_text,
)
from handlers.context import BotContext
from storage.tables import Member

LANGUAGE_PATTERN = LanguageButton.PATTERN
FORGET_PATTERN = ForgetButton.PATTERN


async def _member(update: Update, context: BotContext) -> Member | None:
    """The member writing, or None after telling them how to sign up."""
    member = await current_member(update, context)
    if member is None:
        await reply(update, context, "member.not_registered")
    return member


async def profile_command(update: Update, context: BotContext) -> None:
    """The member sees their profile with a button to change each field."""
    user = update.effective_user
    if user is None:
        return
    card = await profile_dialogue.show_profile(context.services, telegram_id=user.id)
    if card is None:
        await reply(update, context, "member.not_registered")
        return
    await send_reply(update, context, card)


# ------------------------------------------------------------------------------ pause


async def pause_command(update: Update, context: BotContext) -> None:
    """`/pause` or `/pause bis 31.12.2026`: no check-in prompts or reminders until then."""
    user = update.effective_user
    if user is None:
        return
    words = context.args or []
    notice = await account.pause(context.services, telegram_id=user.id, words=words)
    if notice is None:
        await reply(update, context, "member.not_registered")
        return
    await say(update, context, notice)


async def resume_command(update: Update, context: BotContext) -> None:
    """The member gets check-in prompts again."""
    user = update.effective_user
    if user is None:
        return
    notice = await account.resume(context.services, telegram_id=user.id)
    if notice is None:
        await reply(update, context, "member.not_registered")
        return
    await say(update, context, notice)


# ------------------------------------------------------------------------------ language


async def _set_language(update: Update, context: BotContext, code: str) -> None:
    user = update.effective_user
    if user is None:
        return
    member = await account.set_language(context.services, telegram_id=user.id, language=code)
    if member is None:
        await reply(update, context, "member.not_registered")
        return
    await reply(update, context, "language.changed")
    await coordinators.publish_menu_if_coordinator(context, member)


async def language_command(update: Update, context: BotContext) -> None:
    """`/language de|en` switches every text; without an argument the member gets buttons."""
    member = await _member(update, context)
    if member is None:
        return
    wanted = (context.args or [""])[0].casefold()
    if wanted in SUPPORTED_LANGUAGES:
        await _set_language(update, context, wanted)
        return
    choice = await account.language_choice(
        context.services, telegram_id=member.telegram_id, typed=wanted
    )
    if choice is not None:
        await send_reply(update, context, choice)


async def on_language_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or not query.data:
        return
    await query.answer()
    button = LanguageButton.decode(query.data)
    if button is not None:
        await remove_buttons(update)
        await _set_language(update, context, button.language)


# ------------------------------------------------------------------------------ export, forget


async def export_command(update: Update, context: BotContext) -> None:
    """The member receives a JSON file with everything stored about them."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    export = await privacy.export(context.services, telegram_id=user.id)
    if export is None:
        await reply(update, context, "export.nothing")
        return
    await context.bot.send_document(
        chat.id, export.content, filename=export.filename, caption=export.caption
    )


async def forget_command(update: Update, context: BotContext) -> None:
    """The member is asked to confirm before everything about them is erased."""
    user = update.effective_user
    if user is None:
        return
    question = await privacy.forget_question(context.services, telegram_id=user.id)
    if question is None:
        await reply(update, context, "export.nothing")
        return
    await send_reply(update, context, question)


async def on_forget_button(update: Update, context: BotContext) -> None:
    """Confirmed: the member row and everything hanging on it are deleted."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    await remove_buttons(update)
    button = ForgetButton.decode(query.data or "")
    if button is None or not button.confirmed:
        await reply(update, context, "forget.cancelled")
        return
    forgotten = await privacy.forget(
        context.services, telegram_id=user.id, telegram_language=user.language_code
    )
    if forgotten.was_coordinator:
        with contextlib.suppress(TelegramError):
            await coordinators.withdraw_menu(context, user.id)
    await send_text(update, context, context.services.translate(forgotten.language, "forget.done"))


# ------------------------------------------------------------------------------ reachability


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """A member who blocks the bot is unreachable (nothing more is sent); unblocking undoes it.
    The bot leaving or being removed from the alumni group unlinks the group."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    status = change.new_chat_member.status
    gone = status in {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}
    if change.chat.type != ChatType.PRIVATE:
        if gone:
            await groups.bot_left_group(context.services, chat_id=change.chat.id)
        return
    await reachability.set_reachable(
        context.services, telegram_id=change.chat.id, reachable=not gone
    )


async def not_registered_fallback(
    update: Update, context: BotContext, member: Member | None
) -> bool:
    """Free text from someone who has not consented: point them to /start."""
    if member is not None:
        return False
    await reply(update, context, "member.not_registered")
    return True
