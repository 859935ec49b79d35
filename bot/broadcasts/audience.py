"""Who a broadcast is for: the active members of its cohort and/or region."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.members.profile import match_cohort
from bot.ui import Problem
from storage import broadcasts as store
from storage import members as member_store
from storage.active_members import active_member_clause, is_active_member
from storage.tables import Broadcast, Cohort, Member


async def members_of(
    session: AsyncSession, *, cohort_id: int | None, region: str | None, now: dt.datetime
) -> list[Member]:
    query = select(Member).where(active_member_clause(now))
    if cohort_id is not None:
        query = query.where(col(Member.cohort_id) == cohort_id)
    if region is not None:
        query = query.where(col(Member.region) == region)  # as stored: see resolve_region
    return list((await session.exec(query.order_by(col(Member.id)))).all())


async def recipients(
    session: AsyncSession, *, broadcast: Broadcast, now: dt.datetime
) -> list[Member]:
    return await members_of(
        session, cohort_id=broadcast.cohort_id, region=broadcast.region, now=now
    )


async def resolve_cohort(session: AsyncSession, given: str) -> Cohort | Problem:
    cohorts = list(await member_store.list_cohorts(session))
    cohort = match_cohort(given, cohorts)
    if cohort is not None:
        return cohort
    names = ", ".join(c.name for c in cohorts) or "–"
    return Problem("broadcasts.problem.unknown_cohort", {"given": given, "names": names})


async def resolve_region(session: AsyncSession, given: str) -> str | Problem:
    """A region members entered: its exact name (any case), or the one that contains `given`
    (`region=Nordhessen` for "MINT-Region Nordhessen")."""
    regions = await store.distinct_regions(session)
    wanted = given.strip().casefold()
    exact = [region for region in regions if region.casefold() == wanted]
    hits = exact or [region for region in regions if wanted in region.casefold()]
    if len(hits) == 1:
        return hits[0]
    key = "broadcasts.problem.ambiguous_region" if hits else "broadcasts.problem.unknown_region"
    names = ", ".join(hits or regions) or "–"
    return Problem(key, {"given": given, "names": names})


def still_active(member: Member | None, now: dt.datetime) -> bool:
    """At the moment of sending: still there, consented and not paused. (Someone who blocked
    the bot is tried anyway: Telegram's answer is what the report counts as unreachable.)"""
    if member is None:
        return False
    return is_active_member(member.model_copy(update={"reachable": True}), now)


async def cohort_name(session: AsyncSession, broadcast: Broadcast) -> str | None:
    if broadcast.cohort_id is None:
        return None
    cohort = await member_store.get_cohort(session, cohort_id=broadcast.cohort_id)
    return cohort.name if cohort is not None else None
