"""/members: how many members there are, where, and whether the bot can reach them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.i18n import Translator
from bot.members.rules import is_paused
from bot.services import Services
from storage import members as member_store
from storage.tables import Cohort, Member


@dataclass
class Overview:
    """What /members shows: how many members, where, and whether they can be reached."""

    total: int = 0
    active: int = 0
    paused: int = 0
    unreachable: int = 0
    not_consented: int = 0
    per_cohort: Counter[str] = field(default_factory=Counter)
    per_region: Counter[str] = field(default_factory=Counter)


def overview(
    members: Sequence[Member], cohorts: Sequence[Cohort], *, now: dt.datetime, none_label: str
) -> Overview:
    names = {cohort.id: cohort.name for cohort in cohorts}
    result = Overview(per_cohort=Counter({cohort.name: 0 for cohort in cohorts}))
    for member in members:
        result.total += 1
        if member.consent_at is None:
            result.not_consented += 1
        elif not member.reachable:
            result.unreachable += 1
        elif is_paused(member, now):
            result.paused += 1
        else:
            result.active += 1
        result.per_cohort[names.get(member.cohort_id, none_label)] += 1
        result.per_region[member.region or none_label] += 1
    return result


def sections(result: Overview, translate: Translator, language: str) -> list[str]:
    """The overview as text sections: the summary, then counts per cohort (by name) and per
    region (largest first)."""

    def count_line(label: str, count: int) -> str:
        return str(translate(language, "members.count_line", label=label, count=count))

    found = [
        str(
            translate(
                language,
                "members.summary",
                total=result.total,
                active=result.active,
                paused=result.paused,
                unreachable=result.unreachable,
            )
        ),
        str(translate(language, "members.per_cohort")),
    ]
    found += [count_line(label, count) for label, count in sorted(result.per_cohort.items())]
    found.append(str(translate(language, "members.per_region")))
    by_size = sorted(result.per_region.items(), key=lambda item: (-item[1], item[0]))
    found += [count_line(label, count) for label, count in by_size]
    found.append(str(translate(language, "members.not_consented_note")))
    return found


async def members_overview(services: Services, *, language: str) -> list[str]:
    """What /members shows, in `language`."""
    async with services.db.session() as session:
        everyone = await member_store.all_members(session)
        cohorts = await member_store.list_cohorts(session)
    translate = services.translate
    none_label = str(translate(language, "members.none"))
    result = overview(everyone, cohorts, now=services.clock.now(), none_label=none_label)
    return sections(result, translate, language)
