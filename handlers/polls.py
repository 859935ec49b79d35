"""/poll and /polls, the votes Telegram reports, and the jobs that remind and close on time."""

from __future__ import annotations

import contextlib
import logging
import re

from markupsafe import Markup
from telegram import InputFile, Update
from telegram.error import TelegramError

from bot.members.roles import may_coordinate
from bot.numbers import parse_number
from bot.polls import closing, draft, jobs, reminders, votes
from bot.polls.create import Refused, Started, start_poll
from bot.polls.syntax import parse_command
from bot.polls.view import listing, result_view
from handlers.common import (
    coordinator_id,
    language_of,
    render_problems,
    reply,
    send_long,
    send_reply,
    send_text,
)
from handlers.context import AlumniApplication, BotContext
from handlers.keyboards import to_markup
from handlers.scheduling import remove_other_jobs, run_at
from storage.tables import Member

logger = logging.getLogger(__name__)

JOB_PREFIX = "poll:"
RESULT_WORDS = frozenset({"ergebnis", "result", "results"})
CLOSE_WORDS = frozenset({"schliessen", "schließen", "close", "stop"})
CANCEL_WORDS = frozenset({"abbrechen", "cancel"})
HELP_WORDS = frozenset({"hilfe", "help", "?"})


# ------------------------------------------------------------------------------ jobs


async def arm(application: AlumniApplication) -> None:
    """Catch up on what fell due while the bot was down, then schedule what comes next."""
    await jobs.catch_up(application.services)
    await rearm(application)


async def rearm(application: AlumniApplication) -> None:
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    services = application.services
    plan = await jobs.upcoming(services)
    wanted: set[str] = set()
    for poll_id, when in plan.closes:
        name = f"poll:close:{poll_id}"
        wanted.add(name)
        run_at(queue, services.clock, name, when, _close_job, poll_id)
    for poll_id, when in plan.reminders:
        name = f"poll:remind:{poll_id}"
        wanted.add(name)
        run_at(queue, services.clock, name, when, _remind_job, poll_id)
    remove_other_jobs(queue, prefix=JOB_PREFIX, wanted=wanted)


def _application(context: BotContext) -> AlumniApplication:
    application = context.application
    assert isinstance(application, AlumniApplication)
    return application


async def _close_job(context: BotContext) -> None:
    assert context.job is not None
    poll_id: int = context.job.data  # type: ignore[assignment]
    await closing.close_poll(context.services, poll_id=poll_id, closed_by=None)
    await rearm(_application(context))


async def _remind_job(context: BotContext) -> None:
    assert context.job is not None
    poll_id: int = context.job.data  # type: ignore[assignment]
    await reminders.remind_non_voters(context.services, poll_id=poll_id)


# ------------------------------------------------------------------------------ votes


async def on_poll_answer(update: Update, context: BotContext) -> None:
    """A vote, a changed vote or a retraction in a poll with names."""
    answer = update.poll_answer
    if answer is None or answer.user is None:
        return  # a vote on behalf of a chat (anonymous admin): nobody to count it for
    services, voter, poll_id = context.services, answer.user.id, answer.poll_id

    async def record() -> votes.VoteOutcome:
        return await votes.record_answer(
            services, telegram_poll_id=poll_id, telegram_id=voter, option_ids=answer.option_ids
        )

    outcome = await record()
    if outcome is votes.VoteOutcome.UNKNOWN_POLL:
        # The copy may have been delivered a moment ago and its id not committed yet.
        cycles = services.outbox.cycles
        services.outbox.wake()
        with contextlib.suppress(TimeoutError):
            await services.outbox.wait_for_cycle(after=cycles, timeout=2)
        outcome = await record()
    logger.info("poll_answer outcome=%s", outcome.value)


async def on_poll(update: Update, context: BotContext) -> None:
    """Telegram's totals for one of our polls (the only counts an anonymous poll has)."""
    poll = update.poll
    if poll is None:
        return
    await votes.record_totals(
        context.services,
        telegram_poll_id=poll.id,
        counts=[option.voter_count for option in poll.options],
        voters=poll.total_voter_count,
    )


# ------------------------------------------------------------------------------ commands


async def poll_command(update: Update, context: BotContext) -> None:
    """`/poll ...` starts a poll (coordinators); `/poll ergebnis N` shows a result to anyone
    the poll was for; `/poll schliessen N` closes one (coordinators)."""
    message = update.effective_message
    if message is None:
        return
    text = command_arguments(message.text or "")
    first = text.split(maxsplit=1)[0].casefold() if text.split() else ""
    if first in CANCEL_WORDS and update.effective_user is not None:
        language = await language_of(update, context)
        await send_reply(
            update,
            context,
            await draft.cancel(
                context.services, telegram_id=update.effective_user.id, language=language
            ),
        )
    elif first in HELP_WORDS:
        await reply(update, context, "polls.usage")
    elif first in RESULT_WORDS:
        await _result(update, context, text.split()[1:])
    elif first in CLOSE_WORDS:
        await _close(update, context, text.split()[1:])
    else:
        await _start(update, context, text)


async def draft_text(update: Update, context: BotContext, member: Member | None) -> bool:
    """A coordinator in the guided /poll: their text is the question or the next options."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return False
    # Only coordinators start drafts: everyone else's messages skip the lookup.
    if not draft.may_have_draft(member, telegram_id=user.id, settings=context.services.settings):
        return False
    if not await draft.has_draft(context.services, telegram_id=user.id):
        return False
    language = await language_of(update, context)
    answer = await draft.take_text(
        context.services, telegram_id=user.id, text=message.text, language=language
    )
    if answer is None:
        return False
    await send_reply(update, context, answer)
    return True


async def on_draft_button(update: Update, context: BotContext) -> None:
    query, user, chat = update.callback_query, update.effective_user, update.effective_chat
    if query is None or user is None or chat is None or query.data is None:
        return
    pressed = draft.DraftButton.decode(query.data)
    if pressed is None or not await may_coordinate(context.services, telegram_id=user.id):
        await query.answer()
        await reply(update, context, "refusal.not_coordinator")
        return
    await query.answer()
    language = await language_of(update, context)
    message_id = query.message.message_id if query.message is not None else 0
    shown = await draft.press(
        context.services,
        telegram_id=user.id,
        action=pressed.action,
        language=language,
        message_id=message_id,
    )
    if shown.problems:
        await send_text(
            update,
            context,
            render_problems(
                context, language, shown.problems, feature="polls", usage="polls.usage.short"
            ),
        )
    if shown.edit and query.message is not None:
        with contextlib.suppress(TelegramError):  # unchanged text, or an old message
            await query.edit_message_text(
                shown.reply.text, reply_markup=to_markup(shown.reply.buttons)
            )
    else:
        await send_reply(update, context, shown.reply)
    if shown.started is not None:
        await rearm(_application(context))
        await send_text(update, context, started_text(context, language, shown.started))


async def polls_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    language = await language_of(update, context)
    text = await listing(context.services, telegram_id=user.id, language=language)
    await send_long(update, context, [text])


def command_arguments(text: str) -> str:
    """Everything after the command word, line breaks kept (options may come one per line)."""
    parts = re.split(r"\s", text, maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def _poll_number(args: list[str]) -> int | None:
    return parse_number(args[0].lstrip("#")) if args else None


async def _result(update: Update, context: BotContext, args: list[str]) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    number = _poll_number(args)
    if number is None:
        await reply(update, context, "polls.usage.result")
        return
    language = await language_of(update, context)
    view = await result_view(
        context.services,
        poll_id=number,
        telegram_id=user.id,
        language=language,
        private=chat.type == chat.PRIVATE,
    )
    await send_long(update, context, [view.text])
    if view.chart is not None:
        await context.bot.send_photo(chat.id, InputFile(view.chart, filename=view.filename))


async def _close(update: Update, context: BotContext, args: list[str]) -> None:
    number = _poll_number(args)
    user_id = await coordinator_id(update, context)
    if user_id is None:
        return
    if number is None:
        await reply(update, context, "polls.usage.close")
        return
    closed = await closing.close_poll(context.services, poll_id=number, closed_by=user_id)
    if closed is None:
        await reply(update, context, "polls.unknown", number=number)
    elif closed.already:
        await reply(update, context, "polls.already_closed", number=number)
    else:
        await rearm(_application(context))
        await reply(update, context, "polls.closed", number=number)


async def _start(update: Update, context: BotContext, text: str) -> None:
    user_id = await coordinator_id(update, context)
    if user_id is None:
        return
    chat = update.effective_chat
    if not text.strip():
        if chat is None or chat.type != chat.PRIVATE:
            await reply(update, context, "polls.draft.group_hint")
            return
        language = await language_of(update, context)
        await send_reply(
            update,
            context,
            await draft.begin(
                context.services, telegram_id=user_id, chat_id=chat.id, language=language
            ),
        )
        return
    await create_from_text(update, context, text)


async def create_from_text(update: Update, context: BotContext, text: str) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    services = context.services
    language = await language_of(update, context)
    parsed = parse_command(text, now=services.clock.now(), tz=services.settings.tz)
    outcome: Started | Refused = (
        Refused(parsed.problems)
        if parsed.spec is None
        else await start_poll(
            services,
            spec=parsed.spec,
            coordinator_id=user.id,
            chat_id=chat.id,
            message_id=message.message_id,
            asked_in_group=chat.type != chat.PRIVATE,
        )
    )
    if isinstance(outcome, Refused):
        await send_text(
            update,
            context,
            render_problems(
                context,
                language,
                outcome.problems,
                feature="polls",
                usage="polls.usage.short",
                typed=text,
            ),
        )
        return
    await rearm(_application(context))
    if chat.type != chat.PRIVATE and outcome.in_group:
        return  # the poll itself is the answer in the group
    await send_text(update, context, started_text(context, language, outcome))


def started_text(context: BotContext, language: str, started: Started) -> Markup:
    from bot.checkin.timing import format_moment

    services = context.services
    translate = services.translate
    poll = started.poll
    key = "polls.started.group" if started.in_group else "polls.started.private"
    lines = [
        translate(language, key, number=poll.id, question=poll.question, count=started.recipients)
    ]
    if poll.closes_at is not None:
        lines.append(
            translate(
                language,
                "polls.started.closes",
                moment=format_moment(poll.closes_at, language, services),
            )
        )
    if poll.remind_at is not None:
        lines.append(
            translate(
                language,
                "polls.started.reminder",
                moment=format_moment(poll.remind_at, language, services),
            )
        )
    if poll.anonymous:
        lines.append(translate(language, "polls.started.anonymous"))
    lines.append(translate(language, "polls.started.commands", number=poll.id))
    return Markup("\n").join(lines)
