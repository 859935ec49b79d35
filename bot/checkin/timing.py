"""When a round is open, when the next one starts, and how a moment reads in a message."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_datetime
from markupsafe import Markup

from bot.rounds.schedule import CheckinSchedule
from bot.services import Services
from storage.tables import Round, RoundStatus


def is_open(round_: Round, now: dt.datetime) -> bool:
    """Open in the database and not past its closing time (the close job may run a bit late)."""
    return round_.status == RoundStatus.OPEN and round_.closes_at > now


def format_moment(moment: dt.datetime, language: str, services: Services) -> str:
    """`Montag, 4. Januar 2027, 10:00 Uhr` / `Monday, 4 January 2027, 10:00`."""
    pattern = "EEEE, d. MMMM y, HH:mm 'Uhr'" if language == "de" else "EEEE, d MMMM y, HH:mm"
    return format_datetime(moment, pattern, tzinfo=services.settings.tz, locale=language)


def schedule_of(services: Services) -> CheckinSchedule | None:
    expression = services.settings.checkin_schedule
    return CheckinSchedule.parse(expression) if expression else None


def next_opening(services: Services, now: dt.datetime) -> dt.datetime | None:
    schedule = schedule_of(services)
    return schedule.next_after(now, services.settings.tz) if schedule else None


def next_round_text(services: Services, language: str, now: dt.datetime) -> Markup:
    """'The next one starts on DATE' (or: when the coordinators start it)."""
    upcoming = next_opening(services, now)
    if upcoming is None:
        return services.translate(language, "checkin.next_unscheduled")
    return services.translate(
        language, "checkin.next_on", date=format_moment(upcoming, language, services)
    )
