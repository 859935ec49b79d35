"""/round for coordinators, and the jobs that open, remind and close rounds on time.

PTB jobs live in memory, so they are rebuilt from the database at every start (`arm`) and after
every change, each under a fixed name so re-arming replaces rather than duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging

from markupsafe import Markup
from telegram import Update

from bot.checkin.timing import format_moment
from bot.config import parse_duration
from bot.rounds import control, jobs
from bot.rounds.control import AlreadyOpen
from bot.rounds.report import RoundReport
from bot.rounds.wanted import still_wanted as still_wanted  # the outbox asks (see handlers)
from bot.services import Services
from handlers.common import coordinator_only, language_of, reply, send_long
from handlers.context import AlumniApplication, BotContext
from handlers.scheduling import remove_other_jobs, run_at

logger = logging.getLogger(__name__)

JOB_OPEN = "checkin:open"
JOB_PREFIX = "checkin:"


def _job_close(round_id: int) -> str:
    return f"checkin:close:{round_id}"


def _job_remind(round_id: int, stage: int) -> str:
    return f"checkin:remind:{round_id}:{stage}"


# ------------------------------------------------------------------------------ jobs


async def arm(application: AlumniApplication) -> None:
    """Catch up on what fell due while the bot was down, then schedule what comes next."""
    await jobs.catch_up(application.services)
    await rearm(application)


async def rearm(application: AlumniApplication) -> None:
    """Replace every check-in job with what the database and the settings say now."""
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    services = application.services
    plan = await jobs.upcoming(services)
    wanted: set[str] = set()
    if plan.next_opening is not None:
        wanted.add(JOB_OPEN)
        run_at(queue, services.clock, JOB_OPEN, plan.next_opening, _open_job, plan.next_opening)
    if plan.round_id is not None and plan.closes_at is not None:
        wanted.add(_job_close(plan.round_id))
        run_at(
            queue,
            services.clock,
            _job_close(plan.round_id),
            plan.closes_at,
            _close_job,
            plan.round_id,
        )
        now = services.clock.now()
        for stage, due in plan.reminders:
            if due > now:
                name = _job_remind(plan.round_id, stage.number)
                wanted.add(name)
                run_at(queue, services.clock, name, due, _remind_job, (plan.round_id, stage.number))
    remove_other_jobs(queue, prefix=JOB_PREFIX, wanted=wanted)


def _application(context: BotContext) -> AlumniApplication:
    application = context.application
    assert isinstance(application, AlumniApplication)
    return application


async def _open_job(context: BotContext) -> None:
    """The schedule's opening time has come: open the round and prompt every active member."""
    assert context.job is not None
    slot: dt.datetime = context.job.data  # type: ignore[assignment]
    await jobs.open_scheduled(context.services, slot=slot)
    await rearm(_application(context))


async def _close_job(context: BotContext) -> None:
    """The round's time is up: close it (the digest follows in the same transaction)."""
    assert context.job is not None
    round_id: int = context.job.data  # type: ignore[assignment]
    await jobs.close_due(context.services, round_id=round_id)
    await rearm(_application(context))


async def _remind_job(context: BotContext) -> None:
    """A reminder stage is due: members who have not finished hear from the bot once."""
    assert context.job is not None
    data: tuple[int, int] = context.job.data  # type: ignore[assignment]
    await jobs.remind_due(context.services, round_id=data[0], stage=str(data[1]))


# ------------------------------------------------------------------------------ /round


@coordinator_only
async def round_command(update: Update, context: BotContext) -> None:
    """Coordinators see the current round's status, or open, close or remind."""
    args = list(context.args or [])
    action = args[0].casefold() if args else "status"
    if action in ("open", "öffnen", "start"):
        await _open(update, context, args[1:])
    elif action in ("close", "schließen", "schliessen", "stop"):
        await _close(update, context)
    elif action in ("remind", "erinnern"):
        await _remind_now(update, context)
    elif action == "status":
        await _status(update, context)
    else:
        await reply(update, context, "round.usage")


async def _open(update: Update, context: BotContext, args: list[str]) -> None:
    services = context.services
    duration = services.settings.checkin_duration
    if args:
        try:
            duration = parse_duration(" ".join(args))
        except ValueError:
            await reply(update, context, "round.bad_duration", given=" ".join(args))
            return
        if duration <= dt.timedelta(0):
            await reply(update, context, "round.bad_duration", given=" ".join(args))
            return
    user = update.effective_user
    outcome = await control.open_now(
        services, duration=duration, opened_by=user.id if user else None
    )
    language = await language_of(update, context)
    if isinstance(outcome, AlreadyOpen):
        current = outcome.round
        await reply(update, context, "round.already_open", number=current.number,
                    until=format_moment(current.closes_at, language, services))  # fmt: skip
        return
    if outcome is None:
        await reply(update, context, "round.no_questions")
        return
    await rearm(_application(context))
    opened = outcome.round
    await reply(update, context, "round.opened", number=opened.number, asked=outcome.asked,
                until=format_moment(opened.closes_at, language, services))  # fmt: skip


async def _close(update: Update, context: BotContext) -> None:
    closed = await control.close_now(context.services)
    if closed is None:
        await reply(update, context, "round.none_open")
        return
    await rearm(_application(context))
    await reply(update, context, "round.closed", number=closed.number)


async def _remind_now(update: Update, context: BotContext) -> None:
    message = update.effective_message
    reminded = await control.remind_now(
        context.services, command_message_id=message.message_id if message else 0
    )
    if reminded is None:
        await reply(update, context, "round.none_open")
        return
    await reply(
        update, context, "round.reminded", number=reminded.round.number, count=reminded.queued
    )


async def _status(update: Update, context: BotContext) -> None:
    services = context.services
    language = await language_of(update, context)
    no_cohort = str(services.translate(language, "round.no_cohort"))
    report = await control.status(services, no_cohort=no_cohort)
    if report is None:
        await reply(update, context, "round.none_yet")
        return
    await send_long(update, context, _render_status(services, language, report))


def _render_status(services: Services, language: str, report: RoundReport) -> list[Markup]:
    t, round_ = services.translate, report.round
    key = "round.status.open" if round_.status == "open" else "round.status.closed"
    moment = round_.closes_at if round_.status == "open" else (round_.closed_at or round_.closes_at)
    sections = [
        t(language, key, number=round_.number, date=format_moment(moment, language, services),
          finished=report.finished, asked=report.asked, started=report.started)
    ]  # fmt: skip
    # One block, a line per cohort (and who is missing there): blank lines between cohorts
    # made the list hard to scan. A long list is still cut between lines.
    lines: list[Markup] = []
    for cohort in report.cohorts:
        lines.append(t(language, "round.status.cohort", cohort=cohort.name,
                       finished=cohort.finished, asked=cohort.asked))  # fmt: skip
        if cohort.missing:
            lines.append(t(language, "round.status.missing", names=", ".join(cohort.missing)))
    if lines:
        sections.append(Markup("\n").join(lines))
    return sections
