"""How a meetup reads: the announcement with its counts, its buttons, lists and notices."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time
from markupsafe import Markup

from bot.i18n import Translator
from bot.meetups.buttons import MeetupAction, MeetupButton
from bot.meetups.rules import Counts
from bot.ui import Button, Keyboard
from storage.tables import Meetup, MeetupStatus, Member, RsvpStatus


def name_of(member: Member) -> str:
    if member.display_name:
        return member.display_name
    if member.username:
        return f"@{member.username}"
    return f"Alumni #{member.id}"


def when_text(meetup: Meetup, *, language: str, tz: ZoneInfo) -> str:
    """`Mittwoch, 15. September 2027, 18:00–21:00 Uhr` (English without "Uhr")."""
    day = "EEEE, d. MMMM y" if language == "de" else "EEEE, d MMMM y"
    text = format_datetime(meetup.starts_at, f"{day}, HH:mm", tzinfo=tz, locale=language)
    if meetup.ends_at is not None:
        text += "–" + format_time(meetup.ends_at, "HH:mm", tzinfo=tz, locale=language)
    return text + (" Uhr" if language == "de" else "")


def short_when(moment: dt.datetime, *, language: str, tz: ZoneInfo) -> str:
    pattern = "EEE, d.M.y, HH:mm" if language == "de" else "EEE, d/M/y, HH:mm"
    return format_datetime(moment, pattern, tzinfo=tz, locale=language)


def details(translate: Translator, meetup: Meetup, *, language: str, tz: ZoneInfo) -> Markup:
    lines = [
        translate(language, "meetups.view.title", title=meetup.title, number=meetup.id),
        translate(language, "meetups.view.when", when=when_text(meetup, language=language, tz=tz)),
        translate(language, "meetups.view.place", place=meetup.place),
    ]
    if meetup.description:
        lines.append(Markup("\n{}").format(meetup.description))
    return Markup("\n").join(lines)


def counts_line(
    translate: Translator, counts: Counts, *, language: str, capacity: int | None
) -> Markup:
    key = "meetups.view.counts_capacity" if capacity is not None else "meetups.view.counts"
    line = translate(
        language, key, yes=counts.yes, capacity=capacity or 0, maybe=counts.maybe, no=counts.no
    )
    if counts.waiting:
        line += Markup(" · ") + translate(language, "meetups.view.waiting", count=counts.waiting)
    return line


def announcement(
    translate: Translator,
    meetup: Meetup,
    counts: Counts,
    *,
    language: str,
    tz: ZoneInfo,
    mine: RsvpStatus | None = None,
    name_visible: bool | None = None,
    private: bool = False,
) -> tuple[str, Keyboard]:
    """The announcement as it stands; `private` copies show the member's own answer."""
    if meetup.status == MeetupStatus.CANCELLED:
        text = (
            translate(language, "meetups.view.cancelled_banner")
            + Markup("\n")
            + details(translate, meetup, language=language, tz=tz)
        )
        return str(text), []
    parts = [
        translate(language, "meetups.view.header"),
        details(translate, meetup, language=language, tz=tz),
        Markup(""),
        counts_line(translate, counts, language=language, capacity=meetup.capacity),
    ]
    if private:
        if mine is not None:
            parts.append(translate(language, f"meetups.view.mine.{mine.value}"))
        else:
            parts.append(translate(language, "meetups.view.mine.none"))
    else:
        parts.append(translate(language, "meetups.view.group_hint"))
    keyboard = rsvp_buttons(translate, meetup, language=language)
    if private and mine in (RsvpStatus.YES, RsvpStatus.MAYBE, RsvpStatus.WAITING):
        key = "meetups.button.name_hide" if name_visible else "meetups.button.name_show"
        keyboard.append(
            [
                Button(
                    str(translate(language, key)),
                    MeetupButton(MeetupAction.NAME, _id(meetup)).encode(),
                )
            ]
        )
    return str(Markup("\n").join(parts)), keyboard


def rsvp_buttons(translate: Translator, meetup: Meetup, *, language: str) -> Keyboard:
    return [
        [
            Button(
                str(translate(language, "meetups.button.yes")),
                MeetupButton(MeetupAction.YES, _id(meetup)).encode(),
            ),
            Button(
                str(translate(language, "meetups.button.maybe")),
                MeetupButton(MeetupAction.MAYBE, _id(meetup)).encode(),
            ),
            Button(
                str(translate(language, "meetups.button.no")),
                MeetupButton(MeetupAction.NO, _id(meetup)).encode(),
            ),
        ]
    ]


def preview_buttons(translate: Translator, meetup: Meetup, *, language: str) -> Keyboard:
    return [
        [
            Button(
                str(translate(language, "meetups.button.announce")),
                MeetupButton(MeetupAction.ANNOUNCE, _id(meetup)).encode(),
            ),
            Button(
                str(translate(language, "meetups.button.discard")),
                MeetupButton(MeetupAction.DISCARD, _id(meetup)).encode(),
            ),
        ]
    ]


def _id(meetup: Meetup) -> int:
    assert meetup.id is not None
    return meetup.id
