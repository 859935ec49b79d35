"""Who a meetup is for: the active members (of its cohort, if it names one)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.members.profile import match_cohort
from bot.ui import Problem
from storage import members as member_store
from storage.active_members import active_member_clause
from storage.tables import Meetup, Member


async def audience_of(session: AsyncSession, *, meetup: Meetup, now: dt.datetime) -> list[Member]:
    """The active members a meetup is for (of its cohort, if it has one)."""
    query = select(Member).where(active_member_clause(now))
    if meetup.cohort_id is not None:
        query = query.where(col(Member.cohort_id) == meetup.cohort_id)
    return list((await session.exec(query.order_by(col(Member.id)))).all())


async def resolve_cohort(session: AsyncSession, typed: str) -> int | Problem:
    cohorts = list(await member_store.list_cohorts(session))
    cohort = match_cohort(typed, cohorts)
    if cohort is None or cohort.id is None:
        names = ", ".join(c.name for c in cohorts) or "–"
        return Problem("meetups.problem.unknown_cohort", {"given": typed, "names": names})
    return cohort.id
