"""One-line builders for test data that is not what the test is about.

A test of the check-in does not need to click through onboarding: `await member(bot, anna)`
stores Anna as a consented member, exactly as onboarding would leave her.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.sandbox.driver import Person
from bot.sandbox.harness import Harness
from storage.tables import Cohort, Member
from storage.types import utcnow


async def cohort(bot: Harness, name: str) -> Cohort:
    async with bot.services.db.write() as session:
        existing = (await session.exec(select(Cohort).where(Cohort.name == name))).first()
        if existing is not None:
            return existing
        row = Cohort(name=name)
        session.add(row)
        await session.commit()
        return row


async def member(
    bot: Harness,
    person: Person,
    *,
    cohort_name: str | None = "Jahrgang 2022",
    region: str | None = "MINT-Region Nordhessen",
    organisation: str | None = None,
    display_name: str | None = None,
    language: str = "de",
    coordinator: bool = False,
    paused_until: dt.datetime | None = None,
    consented: bool = True,
) -> Member:
    """Store `person` as a member who finished onboarding (and has opened the bot's chat)."""
    person.user.started_bot = True
    cohort_id = (await cohort(bot, cohort_name)).id if cohort_name else None
    async with bot.services.db.write() as session:
        row = Member(
            telegram_id=person.id,
            username=person.user.username,
            language=language,
            consent_at=utcnow() if consented else None,
            display_name=display_name or person.name,
            cohort_id=cohort_id,
            region=region,
            organisation=organisation,
            is_coordinator=coordinator,
            paused_until=paused_until,
        )
        session.add(row)
        await session.commit()
        return row
