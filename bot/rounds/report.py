"""The status of a round for coordinators: answered x of y per cohort, and who is missing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import rounds as store
from storage.tables import Member, Round


@dataclass
class CohortStatus:
    name: str
    asked: int = 0
    finished: int = 0
    started: int = 0
    missing: list[str] = field(default_factory=list)


@dataclass
class RoundReport:
    round: Round
    cohorts: list[CohortStatus]

    @property
    def asked(self) -> int:
        return sum(c.asked for c in self.cohorts)

    @property
    def finished(self) -> int:
        return sum(c.finished for c in self.cohorts)

    @property
    def started(self) -> int:
        return sum(c.started for c in self.cohorts)


def member_label(member: Member) -> str:
    name = member.display_name or (f"@{member.username}" if member.username else "?")
    return f"{name} ({member.region})" if member.region else name


async def report(session: AsyncSession, *, round_: Round, no_cohort: str) -> RoundReport:
    """Answered x of y, per cohort, and who is missing."""
    assert round_.id is not None
    counts = await store.answer_counts(session, round_id=round_.id)
    cohorts: dict[str, CohortStatus] = defaultdict(lambda: CohortStatus(""))
    for participation, member, cohort in await store.participants(session, round_id=round_.id):
        name = cohort.name if cohort else no_cohort
        status = cohorts[name]
        status.name = name
        status.asked += 1
        if participation.finished_at is not None:
            status.finished += 1
        else:
            status.missing.append(member_label(member))
            if counts.get(member.id or 0):
                status.started += 1
    return RoundReport(round_, sorted(cohorts.values(), key=lambda c: c.name))
