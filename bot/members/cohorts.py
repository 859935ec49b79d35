"""Cohorts (Jahrgänge): adding and renaming them, with the rules for their names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.members.profile import clean
from bot.numbers import parse_number
from bot.services import Services
from storage import members as member_store
from storage.tables import Cohort

NAME_MAX = 64


@dataclass
class CohortResult:
    """What `/cohorts` did: a done or problem text key with its params, and the cohorts now."""

    cohorts: list[Cohort]
    done: str | None = None
    problem: str | None = None
    params: dict[str, str] = field(default_factory=dict)


def name_problem(name: str, existing: Sequence[Cohort]) -> str | None:
    if not name:
        return "cohorts.problem.empty"
    if len(name) > NAME_MAX:
        return "cohorts.problem.too_long"
    if any(cohort.name.casefold() == name.casefold() for cohort in existing):
        return "cohorts.problem.exists"
    return None


async def listing(session: AsyncSession) -> CohortResult:
    return CohortResult(list(await member_store.list_cohorts(session)))


async def add(session: AsyncSession, *, typed: str) -> CohortResult:
    """A new cohort named `typed` (cleaned); the caller commits."""
    result = await listing(session)
    name = clean(typed)
    result.problem = name_problem(name, result.cohorts)
    if result.problem is None:
        result.cohorts.append(await member_store.add_cohort(session, name=name))
        result.done, result.params = "cohorts.added", {"name": name}
    return result


async def rename(session: AsyncSession, *, number: int | None, typed: str) -> CohortResult:
    """Cohort `number` (1-based, as listed) is called `typed` from now on; the caller commits."""
    result = await listing(session)
    if number is None or not 1 <= number <= len(result.cohorts):
        result.problem = "cohorts.problem.number"
        return result
    cohort = result.cohorts[number - 1]
    name = clean(typed)
    result.problem = name_problem(name, [c for c in result.cohorts if c.id != cohort.id])
    if result.problem is None:
        old = cohort.name
        await member_store.rename_cohort(session, cohort=cohort, name=name)
        result.done, result.params = "cohorts.renamed", {"old": old, "name": name}
    return result


async def manage(services: Services, *, words: Sequence[str]) -> CohortResult:
    """`/cohorts`, `/cohorts add NAME`, `/cohorts rename NUMBER NEW NAME` (German words too)."""
    action = words[0].casefold() if words else "list"
    async with services.db.write() as session:
        if action in {"add", "neu"}:
            result = await add(session, typed=" ".join(words[1:]))
        elif action in {"rename", "umbenennen"}:
            number = parse_number(words[1]) if len(words) > 1 else None
            result = await rename(session, number=number, typed=" ".join(words[2:]))
        else:
            result = await listing(session)
            if action != "list":
                result.problem = "cohorts.usage"
        await session.commit()
    return result
