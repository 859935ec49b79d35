"""`/meetups` for everyone and `/meetup teilnehmer` (names for coordinators; for members only
the names of those who chose to show them)."""

from __future__ import annotations

from markupsafe import Markup

from bot.meetups import view
from bot.meetups.audience import audience_of
from bot.meetups.delivery import Board
from bot.members.roles import may_coordinate
from bot.services import Services
from bot.ui import Reply
from storage import meetups as store
from storage import members as member_store
from storage.tables import MeetupStatus, Member, RsvpStatus

MAX_LISTED = 10  # one message each; more than a few upcoming meetups is rare
ORDER = (RsvpStatus.YES, RsvpStatus.WAITING, RsvpStatus.MAYBE, RsvpStatus.NO)


async def upcoming(services: Services, *, telegram_id: int, language: str) -> list[Reply]:
    """One message per upcoming meetup with the member's own answer and the RSVP buttons (a
    member who got no invitation, e.g. joined later, answers here); strangers get a pointer
    to /start."""
    translate, tz, now = services.translate, services.settings.tz, services.clock.now()
    async with services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if not await _may_see(services, member, telegram_id=telegram_id):
            return [Reply(str(translate(language, "meetups.rsvp.not_member")))]
        meetups = await store.scheduled_after(session, since=now, limit=MAX_LISTED)
        if not meetups:
            return [Reply(str(translate(language, "meetups.list.none")))]
        replies = []
        for meetup in meetups:
            assert meetup.id is not None
            board = await Board.load(session, meetup_id=meetup.id)
            mine = board.by_member.get(member.id) if member is not None and member.id else None
            line = translate(
                language,
                "meetups.list.item",
                number=meetup.id,
                title=meetup.title,
                when=view.short_when(meetup.starts_at, language=language, tz=tz),
                place=meetup.place,
                counts=view.counts_line(
                    translate, board.counts, language=language, capacity=meetup.capacity
                ),
            )
            key = (
                f"meetups.view.mine.{mine.status}" if mine is not None else "meetups.view.mine.none"
            )
            line += Markup("\n") + translate(language, key)
            replies.append(
                Reply(str(line), view.rsvp_buttons(translate, meetup, language=language))
            )
    return replies


async def _may_see(services: Services, member: Member | None, *, telegram_id: int) -> bool:
    """Meetups and visible names are for the alumni (and coordinators), not for strangers."""
    if member is not None and member.consent_at is not None:
        return True
    return await may_coordinate(services, telegram_id=telegram_id)


async def participants_text(
    services: Services, *, meetup_id: int, telegram_id: int, language: str, in_private: bool
) -> str | None:
    """None when there is no such (announced) meetup. Coordinators see every name, but only
    in their private chat: written in the group, the list is what every member may see."""
    translate, tz, now = services.translate, services.settings.tz, services.clock.now()
    coordinator = in_private and await may_coordinate(services, telegram_id=telegram_id)
    async with services.db.session() as session:
        if not coordinator:
            member = await member_store.get_member(session, telegram_id=telegram_id)
            if not await _may_see(services, member, telegram_id=telegram_id):
                return str(translate(language, "meetups.rsvp.not_member"))
        meetup = await store.get_meetup(session, meetup_id=meetup_id)
        if meetup is None or meetup.status == MeetupStatus.DRAFT:
            return None
        rows = await store.rsvps_with_members(session, meetup_id=meetup_id)
        board = Board([rsvp for rsvp, _ in rows])
        audience = await audience_of(session, meetup=meetup, now=now) if coordinator else []
    lines = [
        view.details(translate, meetup, language=language, tz=tz),
        Markup(""),
        view.counts_line(translate, board.counts, language=language, capacity=meetup.capacity),
    ]
    hidden = 0
    for status in ORDER:
        names = []
        for rsvp, member in rows:
            if rsvp.status != status:
                continue
            if coordinator or rsvp.name_visible:
                names.append(view.name_of(member))
            elif status != RsvpStatus.NO:
                hidden += 1
        if names:
            lines.append(
                translate(language, f"meetups.participants.{status}", names=", ".join(names))
            )
    if coordinator:
        answered = {rsvp.member_id for rsvp, _ in rows}
        silent = [view.name_of(member) for member in audience if member.id not in answered]
        lines.append(
            translate(
                language,
                "meetups.participants.silent",
                count=len(silent),
                names=", ".join(silent) or "–",
            )
        )
    elif hidden:
        lines.append(translate(language, "meetups.participants.hidden", count=hidden))
    return str(Markup("\n").join(lines))
