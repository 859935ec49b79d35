"""The member profile: its fields, checking what was typed, and how the profile is shown.

The guided dialogue's steps are in `bot.members.profile_state`, its use cases in
`bot.members.profile_dialogue`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from markupsafe import Markup

from bot.i18n import Translator
from bot.members.profile_state import Step
from bot.numbers import parse_number
from storage.tables import Cohort, Member

# The column sizes in storage.tables.Member.
MAX_LENGTH: dict[Step, int] = {
    Step.NAME: 64,
    Step.REGION: 120,
    Step.ORGANISATION: 120,
    Step.ROLE: 120,
}


# Characters that change how text is shown rather than what it says: bidi overrides could make
# a name display reversed in the digest, zero-width characters make "empty" look non-empty.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean(raw: str) -> str:
    """One line of visible text: NFC, no layout controls, whitespace collapsed."""
    text = unicodedata.normalize("NFC", raw)
    text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


class Problem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Checked:
    value: str
    problem: Problem | None = None


def check(step: Step, raw: str) -> Checked:
    value = clean(raw)
    if not value:
        return Checked(value, Problem.EMPTY)
    if len(value) > MAX_LENGTH[step]:
        return Checked(value, Problem.TOO_LONG)
    return Checked(value)


def telegram_name(first_name: str, last_name: str | None) -> str | None:
    """The display name we suggest: the Telegram name, cut to what the column holds."""
    name = clean(f"{first_name} {last_name or ''}")[: MAX_LENGTH[Step.NAME]]
    return name or None


def value_of(member: Member, step: Step) -> str | None:
    values = {
        Step.NAME: member.display_name,
        Step.REGION: member.region,
        Step.ORGANISATION: member.organisation,
        Step.ROLE: member.job_role,
    }
    return values.get(step)


def set_value(member: Member, step: Step, value: str | None) -> None:
    if step is Step.NAME:
        member.display_name = value
    elif step is Step.REGION:
        member.region = value
    elif step is Step.ORGANISATION:
        member.organisation = value
    elif step is Step.ROLE:
        member.job_role = value
    else:
        raise ValueError(f"{step} is chosen with buttons, not typed")


def region_token(region: str) -> str:
    """A short stable id for a region button (callback data holds at most 64 bytes)."""
    return hashlib.sha256(region.encode()).hexdigest()[:10]


def region_for_token(token: str, regions: Sequence[str]) -> str | None:
    return next((region for region in regions if region_token(region) == token), None)


def match_cohort(text: str, cohorts: Sequence[Cohort]) -> Cohort | None:
    """A typed cohort: its exact name (any case), or a unique number like the year."""
    wanted = clean(text).casefold()
    if not wanted:
        return None
    for cohort in cohorts:
        if cohort.name.casefold() == wanted:
            return cohort
    if parse_number(wanted) is not None:
        hits = [cohort for cohort in cohorts if wanted in re.findall(r"[0-9]+", cohort.name)]
        if len(hits) == 1:
            return hits[0]
    return None


def render(member: Member, cohort: Cohort | None, translate: Translator, language: str) -> Markup:
    """The profile as the member sees it in /profile and at the end of onboarding."""
    missing = translate(language, "profile.value_missing")

    def shown(value: str | None) -> Markup | str:
        return value if value else missing

    return translate(
        language,
        "profile.summary",
        name=shown(member.display_name),
        cohort=shown(cohort.name if cohort else None),
        region=shown(member.region),
        organisation=shown(member.organisation),
        role=shown(member.job_role),
    )
