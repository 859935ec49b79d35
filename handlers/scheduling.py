"""PTB jobs rebuilt from the database: one named job per moment, replaced rather than added."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from telegram.ext import JobQueue

from bot.clock import Clock
from handlers.context import BotContext

JobCallback = Callable[[BotContext], Coroutine[Any, Any, None]]


def run_at(queue: JobQueue[Any], clock: Clock, name: str, when: dt.datetime,
           callback: JobCallback, data: object) -> None:  # fmt: skip
    """Run `callback` at `when` (the bot's clock) as the only job called `name`."""
    for job in queue.get_jobs_by_name(name):
        with contextlib.suppress(JobLookupError):
            job.schedule_removal()
    queue.run_once(
        callback,
        when=clock.seconds_until(when),  # real seconds: the clock may run ahead
        name=name,
        data=data,
        job_kwargs={"misfire_grace_time": None},  # late (busy loop, suspended host) still runs
    )


def remove_other_jobs(queue: JobQueue[Any], *, prefix: str, wanted: set[str]) -> None:
    """Drop every job under `prefix` that is not in `wanted` (closed, cancelled, done)."""
    for job in queue.jobs():
        if job.name and job.name.startswith(prefix) and job.name not in wanted:
            with contextlib.suppress(JobLookupError):
                job.schedule_removal()
