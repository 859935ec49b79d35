"""/meetup and /meetups, the RSVP buttons, the follow-up answers, and the stage jobs."""

from __future__ import annotations

import contextlib
import logging
import re

from telegram import Update
from telegram.error import TelegramError

from bot.meetups import announce, change, followup, listing, rsvp, stages
from bot.meetups.buttons import MeetupAction, MeetupButton
from bot.numbers import parse_number
from bot.ui import Problem
from handlers import checkin as checkin_handler
from handlers.common import (
    coordinator_id,
    language_of,
    render_problems,
    reply,
    send_long,
    send_replies,
    send_reply,
    send_text,
)
from handlers.context import AlumniApplication, BotContext
from handlers.scheduling import remove_other_jobs, run_at
from storage.tables import Member, RsvpStatus

logger = logging.getLogger(__name__)

JOB_PREFIX = "meetup:"
NEW_WORDS = frozenset({"neu", "new"})
CHANGE_WORDS = frozenset({"ändern", "aendern", "change", "edit"})
CANCEL_WORDS = frozenset({"absagen", "cancel"})
PEOPLE_WORDS = frozenset({"teilnehmer", "teilnehmende", "participants", "rsvps"})
HELP_WORDS = frozenset({"hilfe", "help", "?"})
CHOICES = {
    MeetupAction.YES: RsvpStatus.YES,
    MeetupAction.MAYBE: RsvpStatus.MAYBE,
    MeetupAction.NO: RsvpStatus.NO,
}


# ------------------------------------------------------------------------------ jobs


async def arm(application: AlumniApplication) -> None:
    """Catch up on stages that fell due while the bot was down, then schedule the next ones."""
    await stages.catch_up(application.services)
    await rearm(application)


async def rearm(application: AlumniApplication) -> None:
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    services = application.services
    wanted: set[str] = set()
    for meetup_id, when in await stages.upcoming(services):
        name = f"meetup:stage:{meetup_id}"
        wanted.add(name)
        run_at(queue, services.clock, name, when, _stage_job, meetup_id)
    remove_other_jobs(queue, prefix=JOB_PREFIX, wanted=wanted)


async def _stage_job(context: BotContext) -> None:
    assert context.job is not None
    meetup_id: int = context.job.data  # type: ignore[assignment]
    await stages.run_due(context.services, meetup_id=meetup_id)
    application = context.application
    assert isinstance(application, AlumniApplication)
    await rearm(application)


# ------------------------------------------------------------------------------ commands


def _arguments(text: str) -> str:
    parts = re.split(r"\s", text, maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def meetup_command(update: Update, context: BotContext) -> None:
    """`/meetup neu|ändern|absagen|teilnehmer ...`; `teilnehmer` is open to members too."""
    message = update.effective_message
    if message is None:
        return
    text = _arguments(message.text or "")
    first, _, rest = text.partition(" ")
    word = first.casefold()
    if word in PEOPLE_WORDS:
        await _participants(update, context, rest)
        return
    if word in HELP_WORDS or not word:
        if await coordinator_id(update, context, quiet=True) is not None:
            await reply(update, context, "meetups.usage")
        else:
            await reply(update, context, "meetups.usage_member")
        return
    user_id = await coordinator_id(update, context)
    if user_id is None:
        return
    if word in NEW_WORDS:
        await _new(update, context, rest, user_id)
    elif word in CHANGE_WORDS:
        await _change(update, context, rest)
    elif word in CANCEL_WORDS:
        await _cancel(update, context, rest)
    else:
        await reply(update, context, "meetups.unknown_word", given=first)


async def meetups_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    language = await language_of(update, context)
    replies = await listing.upcoming(context.services, telegram_id=user.id, language=language)
    await send_replies(update, context, replies)


async def _refuse(
    update: Update, context: BotContext, language: str, problems: list[Problem], *, typed: str,
    usage: str,
) -> None:  # fmt: skip
    await send_text(
        update,
        context,
        render_problems(context, language, problems, feature="meetups", usage=usage, typed=typed),
    )


async def _new(update: Update, context: BotContext, text: str, user_id: int) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    language = await language_of(update, context)
    if not text:
        await reply(update, context, "meetups.usage")
        return
    outcome = await announce.draft(
        context.services,
        text=text,
        coordinator_id=user_id,
        chat_id=chat.id,
        message_id=message.message_id,
        language=language,
    )
    if isinstance(outcome, announce.Refused):
        await _refuse(
            update, context, language, outcome.problems, typed=text, usage="meetups.usage.new"
        )
        return
    await send_reply(update, context, outcome)


def _number(text: str) -> tuple[int | None, str]:
    first, _, rest = text.strip().partition(" ")
    return parse_number(first.lstrip("#")), rest.strip()


async def _change(update: Update, context: BotContext, text: str) -> None:
    language = await language_of(update, context)
    number, rest = _number(text)
    if number is None or not rest:
        await reply(update, context, "meetups.usage.change")
        return
    outcome = await change.change(context.services, meetup_id=number, text=rest)
    if isinstance(outcome, change.Refused):
        await _refuse(
            update, context, language, outcome.problems, typed=rest, usage="meetups.usage.change"
        )
        return
    await _rearm_from(context)
    key = "meetups.changed.unchanged" if outcome.unchanged else "meetups.changed.done"
    await reply(
        update,
        context,
        key,
        number=number,
        sequence=outcome.meetup.sequence,
        count=outcome.informed,
    )


async def _cancel(update: Update, context: BotContext, text: str) -> None:
    language = await language_of(update, context)
    number, _ = _number(text)
    if number is None:
        await reply(update, context, "meetups.usage.cancel")
        return
    outcome = await change.cancel(context.services, meetup_id=number)
    if isinstance(outcome, change.Refused):
        await _refuse(
            update, context, language, outcome.problems, typed="", usage="meetups.usage.cancel"
        )
        return
    await _rearm_from(context)
    await reply(update, context, "meetups.cancelled.done", number=number, count=outcome.informed)


async def _participants(update: Update, context: BotContext, text: str) -> None:
    user = update.effective_user
    if user is None:
        return
    language = await language_of(update, context)
    number, _ = _number(text)
    if number is None:
        await reply(update, context, "meetups.usage.participants")
        return
    chat = update.effective_chat
    shown = await listing.participants_text(
        context.services, meetup_id=number, telegram_id=user.id, language=language,
        in_private=chat is not None and chat.type == chat.PRIVATE,
    )  # fmt: skip
    if shown is None:
        await reply(update, context, "meetups.problem.unknown", number=number)
        return
    await send_long(update, context, [shown])


async def _rearm_from(context: BotContext) -> None:
    application = context.application
    assert isinstance(application, AlumniApplication)
    await rearm(application)


# ------------------------------------------------------------------------------ buttons


async def on_button(update: Update, context: BotContext) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    pressed = MeetupButton.decode(query.data)
    if pressed is None:
        await query.answer()
        return
    services = context.services
    if pressed.action in (MeetupAction.ANNOUNCE, MeetupAction.DISCARD):
        await _preview_button(update, context, pressed)
        return
    outcome = await rsvp.answer(
        services,
        meetup_id=pressed.meetup_id,
        telegram_id=user.id,
        choice=CHOICES.get(pressed.action),
    )
    translate = services.translate
    if outcome.refusal is not None:
        await query.answer(str(translate(outcome.language, outcome.refusal.value)), show_alert=True)
        return
    if outcome.status is None:
        await query.answer()
        return
    if pressed.action == MeetupAction.NAME:
        key = "meetups.toast.name_shown" if outcome.name_visible else "meetups.toast.name_hidden"
    else:
        key = f"meetups.toast.{outcome.status.value}"
    await query.answer(str(translate(outcome.language, key)))


async def _preview_button(update: Update, context: BotContext, pressed: MeetupButton) -> None:
    query = update.callback_query
    assert query is not None
    user_id = await coordinator_id(update, context)
    await query.answer()
    if user_id is None:
        return
    language = await language_of(update, context)
    translate = context.services.translate
    if pressed.action == MeetupAction.DISCARD:
        gone = await announce.discard(context.services, meetup_id=pressed.meetup_id)
        text = translate(language, "meetups.discarded" if gone else "meetups.discard_too_late")
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(None)
        await send_text(update, context, text)
        return
    outcome = await announce.announce(
        context.services, meetup_id=pressed.meetup_id, coordinator_id=user_id
    )
    with contextlib.suppress(TelegramError):  # an old message, or already without buttons
        await query.edit_message_reply_markup(None)
    if isinstance(outcome, announce.Refused):
        await _refuse(
            update, context, language, outcome.problems, typed="", usage="meetups.usage.new"
        )
        return
    await _rearm_from(context)
    if outcome.already:
        await reply(update, context, "meetups.announced.already", number=outcome.meetup.id)
        return
    key = "meetups.announced.group" if outcome.in_group else "meetups.announced.private"
    await reply(update, context, key, number=outcome.meetup.id, count=outcome.recipients)


# ------------------------------------------------------------------------------ follow-up


async def on_followup_text(update: Update, context: BotContext, member: Member) -> None:
    """The member's dialogue points at a follow-up question: this message is the answer,
    unless an open check-in question is waiting (that comes first) or it expired."""
    if await checkin_handler.fallback(update, context, member):
        return
    meetup_id = await followup.open_question(context.services, member=member)
    if meetup_id is None:
        await reply(update, context, "text.not_understood")
        return
    await _save_followup(update, context, member, meetup_id)


async def followup_reply(update: Update, context: BotContext, member: Member | None) -> bool:
    """A reply to the follow-up question counts as the answer, whatever dialogue is open."""
    message = update.effective_message
    if member is None or message is None or message.reply_to_message is None:
        return False
    meetup_id = await followup.asked_by_message(
        context.services, chat_id=message.chat_id, message_id=message.reply_to_message.message_id
    )
    if meetup_id is None:
        return False
    await _save_followup(update, context, member, meetup_id)
    return True


async def _save_followup(
    update: Update, context: BotContext, member: Member, meetup_id: int
) -> None:
    message = update.effective_message
    if message is None:
        return
    if not message.text:
        await reply(update, context, "meetups.followup.text_only")
        return
    saved = await followup.record(
        context.services, member=member, meetup_id=meetup_id, text=message.text.strip()
    )
    if saved is None:
        await reply(update, context, "meetups.followup.gone")
    elif saved.too_long:
        await reply(
            update,
            context,
            "meetups.followup.too_long",
            limit=followup.FEEDBACK_MAX,
            draft=message.text,
        )
    else:
        await reply(update, context, "meetups.followup.thanks", title=saved.title)
