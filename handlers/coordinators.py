"""Coordinator commands: /coordinator, /cohorts, /members, /invite (wrapped in coordinator_only)."""

from __future__ import annotations

import contextlib

from telegram import BotCommandScopeChat, Update
from telegram.error import TelegramError

from bot.members import cohorts, invites, overview, roles
from bot.members.callbacks import RevokeInviteButton
from bot.numbers import parse_telegram_id
from handlers.common import (
    coordinator_only,
    language_of,
    remove_buttons,
    reply,
    say,
    send_long,
    send_reply,
    send_text,
)
from handlers.context import AlumniApplication, BotContext
from handlers.menus import publish_coordinator_menu
from storage.tables import Cohort, Member

INVITE_PATTERN = RevokeInviteButton.PATTERN

# ------------------------------------------------------------------------------ command menu


async def publish_menu_if_coordinator(context: BotContext, member: Member) -> None:
    """A coordinator's private chat shows the coordinator commands too."""
    if member.is_coordinator or member.telegram_id in context.services.settings.coordinator_ids:
        await publish_coordinator_menu(
            context.bot,
            context.services.translate,
            chat_id=member.telegram_id,
            language=member.language,
        )


async def withdraw_menu(context: BotContext, chat_id: int) -> None:
    """Back to the members' menu: without a chat scope Telegram shows the private-chat one."""
    with contextlib.suppress(TelegramError):
        await context.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))


async def publish_menus_on_startup(application: AlumniApplication) -> None:
    """Coordinators named in the bot (COORDINATOR_IDS ones are done by handlers.app at start-up)."""
    services = application.services
    for member in await roles.named_coordinators(services):
        await publish_coordinator_menu(
            application.bot,
            services.translate,
            chat_id=member.telegram_id,
            language=member.language,
        )


# ------------------------------------------------------------------------------ /coordinator


def _target(update: Update, words: list[str]) -> tuple[int | None, str | None] | None:
    """Whom the command is about: the author of the replied-to message, an id or @username
    (as `(telegram_id, username)`); None when a typed id is not a valid Telegram id."""
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if replied is not None and replied.from_user is not None and not replied.from_user.is_bot:
        return replied.from_user.id, None
    if not words:
        return None, None
    who = words[0]
    if who.lstrip("-+").isdigit():  # "²" and 20 digits too: refused, not looked up
        telegram_id = parse_telegram_id(who)
        return (telegram_id, None) if telegram_id is not None else None
    return None, who


@coordinator_only
async def coordinator_command(update: Update, context: BotContext) -> None:
    """`/coordinator add|remove` (as a reply, with @username or an id) gives or takes the role."""
    args = [arg.casefold() for arg in (context.args or [])]
    action = {"add": "add", "hinzufügen": "add", "remove": "remove", "entfernen": "remove"}.get(
        args[0] if args else ""
    )
    target = _target(update, (context.args or [])[1:])
    if action is None or target is None:
        await reply(update, context, "coordinator.usage")
        return
    telegram_id, username = target
    change = await roles.change_role(
        context.services, telegram_id=telegram_id, username=username, add=action == "add"
    )
    if change.changed is not None:
        if change.changed.is_coordinator:
            await publish_menu_if_coordinator(context, change.changed)
        else:
            await withdraw_menu(context, change.changed.telegram_id)
    await reply(update, context, change.key, name=change.name)


# ------------------------------------------------------------------------------ /cohorts


@coordinator_only
async def cohorts_command(update: Update, context: BotContext) -> None:
    """`/cohorts`, `/cohorts add NAME`, `/cohorts rename NUMBER NEW NAME`."""
    result = await cohorts.manage(context.services, words=context.args or [])
    if result.done is not None:
        language = await language_of(update, context)
        await send_text(
            update, context, context.services.translate(language, result.done, **result.params)
        )
        return
    if result.problem is not None:
        await reply(update, context, result.problem, limit=cohorts.NAME_MAX)
    await _list_cohorts(update, context, result.cohorts)


async def _list_cohorts(update: Update, context: BotContext, known: list[Cohort]) -> None:
    language = await language_of(update, context)
    translate = context.services.translate
    if not known:
        await send_text(update, context, translate(language, "cohorts.none"))
        return
    lines = [str(translate(language, "cohorts.heading"))]
    lines += [
        str(translate(language, "cohorts.line", n=n, name=c.name)) for n, c in enumerate(known, 1)
    ]
    lines.append(str(translate(language, "cohorts.hint")))
    await send_text(update, context, "\n".join(lines))


# ------------------------------------------------------------------------------ /members


@coordinator_only
async def members_command(update: Update, context: BotContext) -> None:
    """Counts per cohort and region, and how many are active, paused or unreachable."""
    language = await language_of(update, context)
    sections = await overview.members_overview(context.services, language=language)
    await send_long(update, context, sections)


# ------------------------------------------------------------------------------ /invite


@coordinator_only
async def invite_command(update: Update, context: BotContext) -> None:
    """`/invite [cohort]` makes a link; `/invite revoke CODE` stops one."""
    args = context.args or []
    if args and args[0].casefold() in {"revoke", "zurückziehen"}:
        await _revoke(update, context, args[1] if len(args) > 1 else "")
        return
    user = update.effective_user
    assert user is not None
    created = await invites.create(
        context.services,
        created_by=user.id,
        words=args,
        bot_username=context.bot.username,
        language=await language_of(update, context),
    )
    await send_reply(update, context, created)


async def _revoke(update: Update, context: BotContext, code: str) -> None:
    await say(update, context, await invites.revoke(context.services, code=code))


@coordinator_only
async def on_invite_button(update: Update, context: BotContext) -> None:
    """The revoke button under a new invite link."""
    query = update.callback_query
    if query is None or not query.data:
        return
    await query.answer()
    await remove_buttons(update)
    button = RevokeInviteButton.decode(query.data)
    if button is not None:
        await _revoke(update, context, button.code)
