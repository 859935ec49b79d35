"""Coordinator commands: /coordinator, /cohorts, /members, /invite (wrapped in coordinator_only)."""

from __future__ import annotations

import contextlib
import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import invites, members, profile
from bot.commands import publish_coordinator_menu
from bot.members import show_date
from bot.outbox import message_payload
from bot.services import AlumniApplication, BotContext
from handlers.common import coordinator_only, language_of, reply, send_long, send_text
from storage import members as member_store
from storage.tables import Cohort, Member
from storage.types import utcnow

COHORT_NAME_MAX = 64
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
    """Coordinators named in the bot (COORDINATOR_IDS ones are done by bot.app at start-up)."""
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


async def _target(session: AsyncSession, update: Update, words: list[str]) -> Member | None:
    """Whom the command is about: the author of the replied-to message, @username, or an id."""
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if replied is not None and replied.from_user is not None and not replied.from_user.is_bot:
        return await member_store.get_member(session, telegram_id=replied.from_user.id)
    if not words:
        return None
    who = words[0]
    if who.lstrip("-").isdigit():
        return await member_store.get_member(session, telegram_id=int(who))
    return await member_store.get_member_by_username(session, username=who)


@coordinator_only
async def coordinator_command(update: Update, context: BotContext) -> None:
    """`/coordinator add|remove` (as a reply, with @username or an id) gives or takes the role."""
    args = [arg.casefold() for arg in (context.args or [])]
    action = {"add": "add", "hinzufügen": "add", "remove": "remove", "entfernen": "remove"}.get(
        args[0] if args else ""
    )
    if action is None:
        await reply(update, context, "coordinator.usage")
        return
    async with context.services.db.write() as session:
        target = await _target(session, update, (context.args or [])[1:])
        if target is None:
            await reply(update, context, "coordinator.unknown_person")
            return
        name = target.display_name or str(target.telegram_id)
        if action == "remove" and target.telegram_id in context.services.settings.coordinator_ids:
            await reply(update, context, "coordinator.configured", name=name)
            return
        target.is_coordinator = action == "add"
        await member_store.save_member(session, member=target)
        key = f"coordinator:{target.telegram_id}:{action}:{utcnow().isoformat()}"
        text = context.services.translate(target.language, f"coordinator.told_{action}")
        await context.services.outbox.enqueue(
            session,
            key=key,
            chat_id=target.telegram_id,
            payload=message_payload(str(text)),
            respect_quiet_hours=False,
        )
        await session.commit()
    context.services.outbox.wake()
    if action == "add":
        await publish_menu_if_coordinator(context, target)
    else:
        await withdraw_menu(context, target.telegram_id)
    await reply(update, context, f"coordinator.done_{action}", name=name)


# ------------------------------------------------------------------------------ /cohorts


def _cohort_problem(name: str, existing: list[Cohort]) -> str | None:
    if not name:
        return "cohorts.problem.empty"
    if len(name) > COHORT_NAME_MAX:
        return "cohorts.problem.too_long"
    if any(cohort.name.casefold() == name.casefold() for cohort in existing):
        return "cohorts.problem.exists"
    return None


@coordinator_only
async def cohorts_command(update: Update, context: BotContext) -> None:
    """`/cohorts`, `/cohorts add NAME`, `/cohorts rename NUMBER NEW NAME`."""
    args = context.args or []
    action = args[0].casefold() if args else "list"
    async with context.services.db.write() as session:
        cohorts = list(await member_store.list_cohorts(session))
        if action in {"add", "neu"}:
            name = profile.clean(" ".join(args[1:]))
            problem = _cohort_problem(name, cohorts)
            if problem is None:
                await member_store.add_cohort(session, name=name)
                await session.commit()
                await reply(update, context, "cohorts.added", name=name)
                return
        elif action in {"rename", "umbenennen"}:
            number = args[1] if len(args) > 1 else ""
            name = profile.clean(" ".join(args[2:]))
            if not number.isdigit() or not 1 <= int(number) <= len(cohorts):
                problem = "cohorts.problem.number"
            else:
                cohort = cohorts[int(number) - 1]
                others = [c for c in cohorts if c.id != cohort.id]
                problem = _cohort_problem(name, others)
                if problem is None:
                    old = cohort.name
                    await member_store.rename_cohort(session, cohort=cohort, name=name)
                    await session.commit()
                    await reply(update, context, "cohorts.renamed", old=old, name=name)
                    return
        elif action == "list":
            problem = None
        else:
            problem = "cohorts.usage"
    if problem is not None:
        await reply(update, context, problem, limit=COHORT_NAME_MAX)
    await _list_cohorts(update, context, cohorts)


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
    result = members.overview(everyone, cohorts, now=utcnow(), none_label=none_label)
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
    async with context.services.db.write() as session:
        cohorts = list(await member_store.list_cohorts(session))
        cohort = profile.match_cohort(" ".join(args), cohorts) if args else None
        if args and cohort is None:
            names = ", ".join(c.name for c in cohorts) or "–"
            await reply(update, context, "invite.unknown_cohort", typed=" ".join(args), names=names)
            return
        invite = await member_store.add_invite(
            session,
            code=invites.new_code(),
            cohort_id=cohort.id if cohort else None,
            created_by=user.id,
            expires_at=utcnow() + validity if validity > dt.timedelta(0) else None,
        )
        await session.commit()
    language = await language_of(update, context)
    expires = invite.expires_at or utcnow()
    local_day = expires.astimezone(context.services.settings.tz).date()
    link = invites.deep_link(context.bot.username, invite.code)
    cohort_text = (
        cohort.name if cohort else context.services.translate(language, "invite.any_cohort")
    )
    button = InlineKeyboardButton(
        str(context.services.translate(language, "invite.button.revoke")),
        callback_data=f"invite:revoke:{invite.code}",
    )
    await reply(
        update,
        context,
        "invite.created",
        link=link,
        cohort=cohort_text,
        until=show_date(local_day, language),
        code=invite.code,
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def _revoke(update: Update, context: BotContext, code: str) -> None:
    async with context.services.db.write() as session:
        invite = await member_store.get_invite(session, code=code) if code else None
        if invite is None:
            await reply(update, context, "invite.revoke_unknown", code=code)
            return
        if invite.revoked_at is None:
            invite.revoked_at = utcnow()
            session.add(invite)
            await session.commit()
    await reply(update, context, "invite.revoked", code=code)


@coordinator_only
async def on_invite_button(update: Update, context: BotContext) -> None:
    """The revoke button under a new invite link."""
    query = update.callback_query
    if query is None or not query.data:
        return
    await query.answer()
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)
    await _revoke(update, context, query.data.split(":", 2)[2])
