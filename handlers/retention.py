"""The retention purge: once at start (before any update is taken), then every day."""

from __future__ import annotations

import datetime as dt

from bot import retention
from handlers.context import AlumniApplication, BotContext

JOB_NAME = "retention:daily"
INTERVAL = dt.timedelta(days=1)


async def purge(context: BotContext) -> None:
    """Members' old answers and messages disappear once the retention period is over."""
    await retention.purge(context.services)


async def arm(application: AlumniApplication) -> None:
    """Purge now, then daily. The job lives in memory only, by design: it carries no state;
    the database says what is old."""
    await retention.purge(application.services)
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    for job in queue.get_jobs_by_name(JOB_NAME):
        job.schedule_removal()
    queue.run_repeating(
        purge,
        interval=INTERVAL,
        first=INTERVAL,
        name=JOB_NAME,
        job_kwargs={"misfire_grace_time": None},  # a late purge is still a purge
    )
