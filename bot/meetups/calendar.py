"""The meetup's calendar file (RFC 5545), made with the `icalendar` library.

`METHOD:PUBLISH` with the local time zone and its VTIMEZONE (so daylight saving is right in
every app), one stable `UID` per meetup and a `SEQUENCE` that rises with each change: a file
sent again after a change updates the entry instead of adding a second one. A cancelled meetup
gets `STATUS:CANCELLED`; calendar apps differ in whether they then remove the entry.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from storage.tables import Meetup, MeetupStatus

PRODID = "-//Alumni-Austausch//Meetups//DE"
UID_DOMAIN = "alumni-exchange-bot"
DEFAULT_LENGTH = dt.timedelta(hours=2)  # when no end was given


def uid_of(meetup: Meetup) -> str:
    return f"meetup-{meetup.id}@{UID_DOMAIN}"


def filename_of(meetup: Meetup) -> str:
    return f"treffen-{meetup.id}.ics"


def calendar_file(meetup: Meetup, *, tz: ZoneInfo, now: dt.datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid_of(meetup))
    event.add("sequence", meetup.sequence)
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", meetup.starts_at.astimezone(tz))
    event.add("dtend", (meetup.ends_at or meetup.starts_at + DEFAULT_LENGTH).astimezone(tz))
    event.add("summary", meetup.title)
    event.add("location", meetup.place)
    if meetup.description:
        event.add("description", meetup.description)
    cancelled = meetup.status == MeetupStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    start_year = meetup.starts_at.year
    # Only the years around the meetup: the VTIMEZONE stays a few lines instead of 70 years.
    calendar.add_missing_timezones(
        first_date=dt.date(start_year - 1, 1, 1), last_date=dt.date(start_year + 2, 1, 1)
    )
    return bytes(calendar.to_ical())
