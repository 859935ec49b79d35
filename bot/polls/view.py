"""What people read about polls: `/polls` (open and recent) and `/poll ergebnis <id>`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from bot.checkin.timing import format_moment
from bot.members.roles import is_coordinator
from bot.polls import results
from bot.services import Services
from storage import members as member_store
from storage import polls as store
from storage.tables import Member, Poll, PollAudience

RECENT = dt.timedelta(days=30)
LIST_LIMIT = 15


@dataclass(frozen=True)
class ResultView:
    text: Markup
    chart: bytes | None = None
    filename: str = "umfrage.png"


def _may_see(poll: Poll, member: Member | None, coordinator: bool) -> bool:
    if coordinator:
        return True
    if member is None or member.consent_at is None:
        return False
    return poll.audience != PollAudience.COHORT or poll.cohort_id == member.cohort_id


async def listing(services: Services, *, telegram_id: int, language: str) -> Markup:
    now = services.clock.now()
    translate = services.translate
    async with services.db.session() as session:
        coordinator = await is_coordinator(
            session, telegram_id=telegram_id, settings=services.settings
        )
        member = await member_store.get_member(session, telegram_id=telegram_id)
        polls = [
            poll
            for poll in await store.recent_polls(
                session, closed_since=now - RECENT, limit=LIST_LIMIT
            )
            if _may_see(poll, member, coordinator)
        ]
        counted = [(poll, await results.tally(session, poll=poll)) for poll in polls]
    if not counted:
        return translate(language, "polls.list.empty")
    lines = [translate(language, "polls.list.heading")]
    for poll, result in counted:
        if poll.closed_at is not None:
            state = translate(
                language,
                "polls.list.closed",
                moment=format_moment(poll.closed_at, language, services),
            )
        elif poll.closes_at is not None:
            state = translate(
                language,
                "polls.list.open_until",
                moment=format_moment(poll.closes_at, language, services),
            )
        else:
            state = translate(language, "polls.list.open")
        lines.append(
            translate(
                language,
                "polls.list.item",
                number=poll.id,
                question=poll.question,
                state=state,
                count=result.voters,
            )
        )
    lines.append(translate(language, "polls.list.footer"))
    return Markup("\n").join(lines)


async def result_view(
    services: Services, *, poll_id: int, telegram_id: int, language: str, private: bool
) -> ResultView:
    """The result for this person: counts and chart; who voted what only for coordinators in
    their private chat (non-anonymous polls); hidden results stay hidden until the close."""
    translate = services.translate
    async with services.db.session() as session:
        poll = await store.get_poll(session, poll_id=poll_id)
        coordinator = await is_coordinator(
            session, telegram_id=telegram_id, settings=services.settings
        )
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if poll is None or not _may_see(poll, member, coordinator):
            return ResultView(translate(language, "polls.unknown", number=poll_id))
        if poll.hide_results and poll.closed_at is None and not coordinator:
            return ResultView(translate(language, "polls.result.hidden", number=poll_id))
        result = await results.tally(session, poll=poll)
    with_names = coordinator and private and not poll.anonymous
    text = results.render(
        poll, result, translate, language, final=poll.closed_at is not None, with_names=with_names
    )
    chart = await results.chart_png(poll, result, translate, language)
    return ResultView(text, chart, f"umfrage-{poll_id}.png")
