"""The daily automatic backup while the bot runs (BACKUP_DIR set), armed at start.

When it is due comes from the backup files themselves (`bot.backups.next_due`), so a restart
neither repeats nor skips one, and a backup taken by hand counts too. The job lives in memory
only and is re-armed after every backup and whenever the clock moves.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot import backups
from handlers.context import AlumniApplication, BotContext
from handlers.scheduling import run_at

JOB_NAME = "backup:daily"
# A failed backup (disk full, pg_dump missing) is tried again this much later, not at once:
# the files still say it is due, and trying in a tight loop would only fill the log.
RETRY_AFTER = dt.timedelta(hours=1)

logger = logging.getLogger(__name__)


async def arm(application: AlumniApplication) -> None:
    """Schedule the next backup when it is due (at once, if none was taken for a day)."""
    services = application.services
    queue = application.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    due = backups.next_due(services.settings, services.clock.now())
    if due is None:
        for job in queue.get_jobs_by_name(JOB_NAME):
            job.schedule_removal()
        return
    run_at(queue, services.clock, JOB_NAME, due, _backup_job, None)


async def _backup_job(context: BotContext) -> None:
    """A fresh copy of the database lands in BACKUP_DIR; the oldest beyond BACKUP_KEEP go."""
    application = context.application
    assert isinstance(application, AlumniApplication)
    services = application.services
    try:
        await backups.take_backup(services.settings, now=services.clock.now())
    except Exception as error:
        # Whatever went wrong (a BackupError says why in words), the job must stay armed: an
        # escaped exception would end the daily backups until the next restart.
        reason = str(error) if isinstance(error, backups.BackupError) else type(error).__name__
        logger.warning("backup_failed error=%s", services.settings.redact_database(reason))
        assert application.job_queue is not None
        retry = services.clock.now() + RETRY_AFTER
        run_at(application.job_queue, services.clock, JOB_NAME, retry, _backup_job, None)
        return
    await arm(application)
