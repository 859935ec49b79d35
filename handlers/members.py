"""Members' own commands in a private chat: /profile, /pause, /resume, /language, /export,
/forget; and whether the bot can reach them at all."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from telegram import ChatMemberUpdated, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.config import SUPPORTED_LANGUAGES
from bot.members import privacy, rules
from bot.members.rules import PauseRefused
from handlers import coordinators
from handlers import profile as profile_dialogue
from handlers.common import current_member, language_of, remove_buttons, reply, send_text
from handlers.context import BotContext
from storage import chats as chat_store
from storage import members as member_store
from storage.tables import Member

logger = logging.getLogger(__name__)

LANGUAGE_PATTERN = r"^lang:"
FORGET_PATTERN = r"^forget:"


async def _member(update: Update, context: BotContext) -> Member | None:
    """The member writing, or None after telling them how to sign up."""
    member = await current_member(update, context)
    if member is None:
        await reply(update, context, "member.not_registered")
    return member


async def profile_command(update: Update, context: BotContext) -> None:
    """The member sees their profile with a button to change each field."""
    member = await _member(update, context)
    if member is not None:
        await profile_dialogue.show(update, context, member)


# ------------------------------------------------------------------------------ pause


async def pause_command(update: Update, context: BotContext) -> None:
    """`/pause` or `/pause bis 31.12.2026`: no check-in prompts or reminders until then."""
    user = update.effective_user
    if user is None or await _member(update, context) is None:
        return
    settings = context.services.settings
    request = rules.parse_pause(
        context.args or [], now=context.services.clock.now(), tz=settings.tz
    )
    if isinstance(request, PauseRefused):
        language = await language_of(update, context)
        day = rules.show_date(request.day, language) if request.day else ""
        typed = " ".join(context.args or [])
        await reply(update, context, f"pause.problem.{request.problem}", typed=typed, day=day)
        return
    async with context.services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
        if member is None:
            return
        member.paused_until = request.until
        await member_store.save_member(session, member=member)
        await session.commit()
    if request.last_day is None:
        await reply(update, context, "pause.open_ended")
    else:
        day = rules.show_date(request.last_day, member.language)
        await reply(update, context, "pause.until", day=day)


async def resume_command(update: Update, context: BotContext) -> None:
    """The member gets check-in prompts again."""
    user = update.effective_user
    if user is None or await _member(update, context) is None:
        return
    async with context.services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
        if member is None:
            return
        was_paused = rules.is_paused(member, context.services.clock.now())
        member.paused_until = None
        await member_store.save_member(session, member=member)
        await session.commit()
    await reply(update, context, "pause.resumed" if was_paused else "pause.not_paused")


# ------------------------------------------------------------------------------ language


def _language_buttons(context: BotContext, language: str) -> InlineKeyboardMarkup:
    translate = context.services.translate
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    str(translate(language, f"language.name.{code}")), callback_data=f"lang:{code}"
                )
                for code in SUPPORTED_LANGUAGES
            ]
        ]
    )


async def _set_language(update: Update, context: BotContext, code: str) -> None:
    user = update.effective_user
    if user is None:
        return
    async with context.services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
        if member is not None:
            member.language = code
            await member_store.save_member(session, member=member)
            await session.commit()
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
    key = "language.choose" if not wanted else "language.unknown"
    text = context.services.translate(member.language, key, typed=wanted)
    await send_text(update, context, text, reply_markup=_language_buttons(context, member.language))


async def on_language_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or not query.data:
        return
    await query.answer()
    code = query.data.split(":", 1)[1]
    if code in SUPPORTED_LANGUAGES:
        await remove_buttons(update)
        await _set_language(update, context, code)


# ------------------------------------------------------------------------------ export, forget


async def _export_document(member: Member, context: BotContext) -> dict[str, Any]:
    assert member.id is not None
    async with context.services.db.session() as session:
        cohort = (
            await member_store.get_cohort(session, cohort_id=member.cohort_id)
            if member.cohort_id is not None
            else None
        )
        answers = await member_store.answers_of(session, member_id=member.id)
        participations = await member_store.participations_of(session, member_id=member.id)
    return privacy.build_export(
        member,
        cohort=cohort,
        answers=answers,
        participations=participations,
        now=context.services.clock.now(),
    )


async def export_command(update: Update, context: BotContext) -> None:
    """The member receives a JSON file with everything stored about them."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with context.services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
    if member is None:
        await reply(update, context, "export.nothing")
        return
    document = await _export_document(member, context)
    caption = context.services.translate(member.language, "export.caption")
    await context.bot.send_document(
        chat.id,
        privacy.export_bytes(document),
        filename=f"alumni-daten-{member.telegram_id}.json",
        caption=str(caption),
    )


async def forget_command(update: Update, context: BotContext) -> None:
    """The member is asked to confirm before everything about them is erased."""
    user = update.effective_user
    if user is None:
        return
    async with context.services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
    if member is None:
        await reply(update, context, "export.nothing")
        return
    translate = context.services.translate
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    str(translate(member.language, "forget.button.yes")),
                    callback_data="forget:yes",
                ),
                InlineKeyboardButton(
                    str(translate(member.language, "forget.button.no")), callback_data="forget:no"
                ),
            ]
        ]
    )
    await reply(update, context, "forget.confirm", reply_markup=markup)


async def on_forget_button(update: Update, context: BotContext) -> None:
    """Confirmed: the member row and everything hanging on it are deleted."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    await remove_buttons(update)
    if query.data != "forget:yes":
        await reply(update, context, "forget.cancelled")
        return
    language = await language_of(update, context)  # asked before the member row goes
    async with context.services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
        if member is not None:
            await privacy.erase(session, services=context.services, member=member)
        await session.commit()
    if member is not None and member.is_coordinator:
        with contextlib.suppress(TelegramError):
            await coordinators.withdraw_menu(context, user.id)
    await send_text(update, context, context.services.translate(language, "forget.done"))


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
            await _left_group(context, change.chat.id)
        return
    reachable = not gone
    async with context.services.db.write() as session:
        await member_store.set_reachable(
            session,
            telegram_id=change.chat.id,
            reachable=reachable,
            now=context.services.clock.now(),
        )
        await session.commit()


async def _left_group(context: BotContext, chat_id: int) -> None:
    async with context.services.db.write() as session:
        unlinked = await chat_store.unlink_alumni_group(session, telegram_id=chat_id)
        await session.commit()
    if unlinked is not None:
        # No digest can reach the group any more until a coordinator runs /setgroup again.
        logger.warning("alumni_group_unlinked chat=%s reason=bot_removed", chat_id)


async def mark_unreachable(session: Any, chat_id: int, now: dt.datetime) -> None:
    """Outbox hook: a 403 for a private chat means that member blocked the bot."""
    await member_store.set_reachable(session, telegram_id=chat_id, reachable=False, now=now)


async def not_registered_fallback(
    update: Update, context: BotContext, member: Member | None
) -> bool:
    """Free text from someone who has not consented: point them to /start."""
    if member is not None:
        return False
    await reply(update, context, "member.not_registered")
    return True
