"""Coordinator commands: /coordinator, /cohorts, /members, /invite (wrapped in coordinator_only)."""

from __future__ import annotations

import contextlib
import datetime as dt

from telegram import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.members import cohorts, invites, profile, roles, rules
from bot.members.rules import show_date
from bot.numbers import parse_number, parse_telegram_id
from handlers.common import (
    coordinator_only,
    language_of,
    remove_buttons,
    reply,
    send_long,
    send_text,
)
from handlers.context import AlumniApplication, BotContext
from handlers.menus import publish_coordinator_menu
from storage import members as member_store
from storage.tables import Cohort, Member

INVITE_PATTERN = r"^invite:revoke:"

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
    async with services.db.session() as session:
        named = await member_store.coordinators(session)
    for member in named:
        if member.telegram_id not in services.settings.coordinator_ids:
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
    async with context.services.db.write() as session:
        change = await roles.change_coordinator_role(
            session,
            services=context.services,
            telegram_id=telegram_id,
            username=username,
            add=action == "add",
        )
        await session.commit()
    if change.changed is not None:
        context.services.outbox.wake()
        if change.changed.is_coordinator:
            await publish_menu_if_coordinator(context, change.changed)
        else:
            await withdraw_menu(context, change.changed.telegram_id)
    await reply(update, context, change.key, name=change.name)


# ------------------------------------------------------------------------------ /cohorts


@coordinator_only
async def cohorts_command(update: Update, context: BotContext) -> None:
    """`/cohorts`, `/cohorts add NAME`, `/cohorts rename NUMBER NEW NAME`."""
    args = context.args or []
    action = args[0].casefold() if args else "list"
    async with context.services.db.write() as session:
        if action in {"add", "neu"}:
            result = await cohorts.add(session, typed=" ".join(args[1:]))
        elif action in {"rename", "umbenennen"}:
            number = parse_number(args[1]) if len(args) > 1 else None
            result = await cohorts.rename(session, number=number, typed=" ".join(args[2:]))
        else:
            result = await cohorts.listing(session)
            if action != "list":
                result.problem = "cohorts.usage"
        await session.commit()
    if result.done is not None:
        language = await language_of(update, context)
        await send_text(
            update, context, context.services.translate(language, result.done, **result.params)
        )
        return
    if result.problem is not None:
        await reply(update, context, result.problem, limit=cohorts.NAME_MAX)
    await _list_cohorts(update, context, result.cohorts)


async def _list_cohorts(update: Update, context: BotContext, cohorts: list[Cohort]) -> None:
    language = await language_of(update, context)
    translate = context.services.translate
    if not cohorts:
        await send_text(update, context, translate(language, "cohorts.none"))
        return
    lines = [str(translate(language, "cohorts.heading"))]
    lines += [
        str(translate(language, "cohorts.line", n=n, name=c.name)) for n, c in enumerate(cohorts, 1)
    ]
    lines.append(str(translate(language, "cohorts.hint")))
    await send_text(update, context, "\n".join(lines))


# ------------------------------------------------------------------------------ /members


@coordinator_only
async def members_command(update: Update, context: BotContext) -> None:
    """Counts per cohort and region, and how many are active, paused or unreachable."""
    language = await language_of(update, context)
    translate = context.services.translate
    async with context.services.db.session() as session:
        everyone = await member_store.all_members(session)
        cohorts = await member_store.list_cohorts(session)
    none_label = str(translate(language, "members.none"))
    result = rules.overview(
        everyone, cohorts, now=context.services.clock.now(), none_label=none_label
    )
    sections = [
        str(
            translate(
                language,
                "members.summary",
                total=result.total,
                active=result.active,
                paused=result.paused,
                unreachable=result.unreachable,
            )
        ),
        str(translate(language, "members.per_cohort")),
    ]
    sections += [
        str(translate(language, "members.count_line", label=label, count=count))
        for label, count in sorted(result.per_cohort.items())
    ]
    sections.append(str(translate(language, "members.per_region")))
    sections += [
        str(translate(language, "members.count_line", label=label, count=count))
        for label, count in sorted(result.per_region.items(), key=lambda item: (-item[1], item[0]))
    ]
    sections.append(str(translate(language, "members.not_consented_note")))
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
    validity = context.services.settings.invite_validity
    typed = " ".join(args)
    async with context.services.db.write() as session:
        known = list(await member_store.list_cohorts(session))
        cohort = profile.match_cohort(typed, known) if args else None
        invite = None
        if not args or cohort is not None:
            invite = await member_store.add_invite(
                session,
                code=invites.new_code(),
                cohort_id=cohort.id if cohort else None,
                created_by=user.id,
                expires_at=context.services.clock.now() + validity
                if validity > dt.timedelta(0)
                else None,
            )
            await session.commit()
    if invite is None:
        names = ", ".join(c.name for c in known) or "–"
        await reply(update, context, "invite.unknown_cohort", typed=typed, names=names)
        return
    language = await language_of(update, context)
    translate = context.services.translate
    if invite.expires_at is None:
        validity_text = translate(language, "invite.valid_forever")
    else:
        local_day = invite.expires_at.astimezone(context.services.settings.tz).date()
        validity_text = translate(
            language, "invite.valid_until", day=show_date(local_day, language)
        )
    link = invites.deep_link(context.bot.username, invite.code)
    cohort_text = cohort.name if cohort else translate(language, "invite.any_cohort")
    button = InlineKeyboardButton(
        str(translate(language, "invite.button.revoke")),
        callback_data=f"invite:revoke:{invite.code}",
    )
    await reply(
        update,
        context,
        "invite.created",
        link=link,
        cohort=cohort_text,
        validity=validity_text,
        code=invite.code,
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def _revoke(update: Update, context: BotContext, code: str) -> None:
    async with context.services.db.write() as session:
        invite = await member_store.get_invite(session, code=code) if code else None
        if invite is not None and invite.revoked_at is None:
            invite.revoked_at = context.services.clock.now()
            session.add(invite)
            await session.commit()
    if invite is None:
        await reply(update, context, "invite.revoke_unknown", code=code)
        return
    await reply(update, context, "invite.revoked", code=code)


@coordinator_only
async def on_invite_button(update: Update, context: BotContext) -> None:
    """The revoke button under a new invite link."""
    query = update.callback_query
    if query is None or not query.data:
        return
    await query.answer()
    await remove_buttons(update)
    await _revoke(update, context, query.data.split(":", 2)[2])
