"""The retention purge as a job: once at start, then every day."""

from __future__ import annotations

import datetime as dt

from bot import retention
from bot.services import AlumniApplication, BotContext
from storage.types import utcnow

JOB_NAME = "retention:daily"
INTERVAL = dt.timedelta(days=1)


async def purge(context: BotContext) -> None:
    """Members' old answers and messages disappear once the retention period is over."""
    services = context.services
    async with services.db.write() as session:
        await retention.purge_expired(session, now=utcnow(), retention=services.settings.retention)
        await session.commit()


def arm(application: AlumniApplication) -> None:
    """In memory only, by design: the job carries no state; the database says what is old."""
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    for job in queue.get_jobs_by_name(JOB_NAME):
        job.schedule_removal()
    # A separate one-off run: APScheduler moves an interval job whose start has passed by the
    # time the scheduler starts (post_init runs before it) to the next full interval.
    late_is_fine = {"misfire_grace_time": None}
    queue.run_once(purge, when=0, name=JOB_NAME, job_kwargs=late_is_fine)
    queue.run_repeating(
        purge, interval=INTERVAL, first=INTERVAL, name=JOB_NAME, job_kwargs=late_is_fine
    )
