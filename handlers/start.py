"""/start with the privacy notice and consent, and /help, in a private chat.

Before consent nothing about the person is stored: the invite code and the chosen language
travel in the consent button's data (`consent:<action>:<language>:<code>`).
"""

from __future__ import annotations

import contextlib

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.members import invites, privacy, profile
from bot.members.roles import is_coordinator
from handlers import coordinators
from handlers import profile as profile_dialogue
from handlers.common import language_of, remove_buttons, reply, send_text
from handlers.context import BotContext
from handlers.menus import MENU, Audience
from storage import members as member_store
from storage.tables import Invite

CALLBACK_PATTERN = r"^consent:"

# The members' commands, answered in private chats only; in a group they get a pointer there.
PRIVATE_COMMANDS: tuple[str, ...] = tuple(
    command.name for command in MENU if command.audience is Audience.MEMBER
)


def _other(language: str) -> str:
    return "en" if language == "de" else "de"


def _consent_markup(context: BotContext, language: str, code: str) -> InlineKeyboardMarkup:
    translate = context.services.translate

    def button(key: str, action: str, lang: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            str(translate(language, key)), callback_data=f"consent:{action}:{lang}:{code}"
        )

    return InlineKeyboardMarkup(
        [
            [button("consent.button.yes", "yes", language)],
            [
                button("consent.button.no", "no", language),
                button("consent.button.other_language", "lang", _other(language)),
            ],
        ]
    )


def _notice(context: BotContext, language: str, first_name: str) -> str:
    services = context.services
    retention = privacy.retention_text(services.settings.retention, language)
    welcome = services.translate(language, "start.welcome", name=first_name)
    notice = services.translate(language, "consent.notice", retention=retention)
    return f"{welcome}\n\n{notice}"


async def _check_invite(
    context: BotContext, code: str
) -> tuple[invites.InviteStatus, Invite | None]:
    if not invites.looks_like_code(code):
        return invites.InviteStatus.UNKNOWN, None
    async with context.services.db.session() as session:
        invite = await member_store.get_invite(session, code=code)
    return invites.status(invite, now=context.services.clock.now()), invite


async def start(update: Update, context: BotContext) -> None:
    """A newcomer sees the welcome, the privacy notice and the consent button; a member is
    welcomed back where they left off."""
    user = update.effective_user
    if user is None:
        return
    code = context.args[0] if context.args else ""
    async with context.services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
    if member is not None:
        await reply(
            update, context, "start.welcome_back", name=member.display_name or user.first_name
        )
        await profile_dialogue.ask(update, context, member)
        return
    language = context.services.translate.language_for(user.language_code)
    if code:
        status, _ = await _check_invite(context, code)
        if status is not invites.InviteStatus.VALID:
            await send_text(
                update, context, context.services.translate(language, f"invite.problem.{status}")
            )
            code = ""
    await send_text(
        update,
        context,
        _notice(context, language, user.first_name),
        reply_markup=_consent_markup(context, language, code),
    )


async def on_consent_button(update: Update, context: BotContext) -> None:
    """Consent creates the member and starts the profile; anything else stores nothing."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    await query.answer()
    _, action, language, code = [*query.data.split(":", 3), "", "", ""][:4]
    language = context.services.translate.language_for(language)
    if action == "lang":
        with contextlib.suppress(TelegramError):
            await query.edit_message_text(
                _notice(context, language, user.first_name),
                reply_markup=_consent_markup(context, language, code),
            )
        return
    await remove_buttons(update)
    if action == "no":
        await send_text(update, context, context.services.translate(language, "consent.declined"))
        return
    if action == "yes":
        await _consent(update, context, language, code)


async def _consent(update: Update, context: BotContext, language: str, code: str) -> None:
    user = update.effective_user
    assert user is not None
    translate = context.services.translate
    status: invites.InviteStatus | None = None
    async with context.services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=user.id)
        created = member is None
        if member is None:
            cohort_id = None
            if code:
                invite = await member_store.get_invite(session, code=code)
                status = invites.status(invite, now=context.services.clock.now())
                if status is invites.InviteStatus.VALID and invite is not None:
                    invite.used_count += 1
                    session.add(invite)
                    cohort_id = invite.cohort_id
            member = await member_store.create_member(
                session,
                telegram_id=user.id,
                username=user.username,
                language=language,
                display_name=profile.telegram_name(user.first_name, user.last_name),
                cohort_id=cohort_id,
                awaiting=None,
                now=context.services.clock.now(),
            )
            await profile.start_onboarding(session, member)
            await member_store.save_member(session, member=member)
        await session.commit()
    if not created:
        await reply(update, context, "consent.already")
        await profile_dialogue.ask(update, context, member)
        return
    if status is not None and status is not invites.InviteStatus.VALID:
        # The link expired or was revoked while the notice was open: go on without it.
        await send_text(update, context, translate(language, f"invite.problem.{status}"))
    await send_text(update, context, translate(language, "consent.thanks"))
    await coordinators.publish_menu_if_coordinator(context, member)
    await profile_dialogue.continue_after(update, context, member, profile.Mode.ONBOARDING)


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
    if user is None:
        return
    async with context.services.db.session() as session:
        allowed = await is_coordinator(
            session, telegram_id=user.id, settings=context.services.settings
        )
    if allowed:
        await send_text(update, context, _help(context, language, Audience.COORDINATOR))


async def in_private_please(update: Update, context: BotContext) -> None:
    """A member command written in a group: these are answered in the private chat only."""
    await reply(update, context, "group.private_only", link=f"t.me/{context.bot.username}")


MAX_COMMAND_SHOWN = 33


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
