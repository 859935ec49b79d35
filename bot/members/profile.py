"""The member profile: its fields, the guided dialogue's steps, and checking what was typed.

Where the dialogue stands is `Member.awaiting`, e.g. "profile:region:onboarding"; the step
order lives here so a restart (or a button pressed on an old message) continues correctly.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.numbers import parse_number
from storage import members as member_store
from storage.tables import Cohort, Member

PREFIX = "profile"


class Step(StrEnum):
    NAME = "name"
    COHORT = "cohort"
    REGION = "region"
    ORGANISATION = "organisation"
    ROLE = "role"


class Mode(StrEnum):
    ONBOARDING = "onboarding"  # the first walk through every step after consent
    JOB = "job"  # "I changed jobs": organisation, then role
    EDIT = "edit"  # one field from /profile


PLANS: dict[Mode, tuple[Step, ...]] = {
    Mode.ONBOARDING: (Step.NAME, Step.COHORT, Step.REGION, Step.ORGANISATION, Step.ROLE),
    Mode.JOB: (Step.ORGANISATION, Step.ROLE),
}

# The column sizes in storage.tables.Member.
MAX_LENGTH: dict[Step, int] = {
    Step.NAME: 64,
    Step.REGION: 120,
    Step.ORGANISATION: 120,
    Step.ROLE: 120,
}


@dataclass(frozen=True)
class Position:
    step: Step
    mode: Mode

    @property
    def awaiting(self) -> str:
        return f"{PREFIX}:{self.step}:{self.mode}"

    @classmethod
    def parse(cls, awaiting: str | None) -> Position | None:
        parts = (awaiting or "").split(":")
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        try:
            return cls(Step(parts[1]), Mode(parts[2]))
        except ValueError:
            return None

    def _plan(self) -> tuple[Step, ...]:
        return PLANS.get(self.mode, (self.step,))

    def next(self) -> Position | None:
        plan = self._plan()
        index = plan.index(self.step) + 1
        return Position(plan[index], self.mode) if index < len(plan) else None

    def previous(self) -> Position | None:
        plan = self._plan()
        index = plan.index(self.step) - 1
        return Position(plan[index], self.mode) if index >= 0 else None

    @property
    def skippable(self) -> bool:
        return self.step is not Step.COHORT


def first(mode: Mode, step: Step | None = None) -> Position:
    return Position(step or PLANS[mode][0], mode)


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


# ------------------------------------------------------------------------------ the dialogue


@dataclass
class Hint:
    """A typed answer or a button that could not be taken, and what to tell the member."""

    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class Outcome:
    """What an answer or a button did: the member as stored now, the position it was taken
    at (None: a stale button), and what went wrong (None: taken)."""

    member: Member
    position: Position | None
    problem: Hint | None = None


async def _arrive(
    session: AsyncSession, member: Member, position: Position | None, *, forward: bool
) -> None:
    """Stand at `position` (None: the end); onboarding passes over a cohort that an invite
    chose already or that cannot be chosen because no cohort is configured yet."""
    while (
        position is not None
        and position.step is Step.COHORT
        and position.mode is Mode.ONBOARDING
        and (
            (forward and member.cohort_id is not None)
            or not await member_store.list_cohorts(session)
        )
    ):
        position = position.next() if forward else position.previous()
    member.awaiting = position.awaiting if position else None


async def start_onboarding(session: AsyncSession, member: Member) -> None:
    """A member who just consented stands at the first question of the guided profile."""
    await _arrive(session, member, first(Mode.ONBOARDING), forward=True)


async def _take_text(
    session: AsyncSession, member: Member, position: Position, text: str | None
) -> Hint | None:
    """Store a typed answer and move on; or say what is wrong with it (nothing is lost)."""
    if text is None:
        return Hint("profile.problem.not_text")
    if position.step is Step.COHORT:
        cohort = match_cohort(text, await member_store.list_cohorts(session))
        if cohort is None:
            return Hint("profile.problem.unknown_cohort", {"typed": clean(text)[:64]})
        member.cohort_id = cohort.id
    else:
        checked = check(position.step, text)
        if checked.problem is Problem.EMPTY:
            return Hint("profile.problem.empty")
        if checked.problem is Problem.TOO_LONG:
            # Kept in the database and shown back, so the member can shorten it.
            member.draft = checked.value
            params = {
                "limit": MAX_LENGTH[position.step],
                "length": len(checked.value),
                "draft": checked.value[:3000],
            }
            return Hint("profile.problem.too_long", params)
        set_value(member, position.step, checked.value)
    member.draft = None
    await _arrive(session, member, position.next(), forward=True)
    return None


async def answer_text(
    session: AsyncSession, *, telegram_id: int, text: str | None
) -> Outcome | None:
    """The member's message answers the profile question they are at; None when they are
    not in the profile dialogue. The caller commits."""
    member = await member_store.get_member(session, telegram_id=telegram_id)
    position = Position.parse(member.awaiting if member else None)
    if member is None or position is None:
        return None
    problem = await _take_text(session, member, position, text)
    await member_store.save_member(session, member=member)
    return Outcome(member, position, problem)


async def _take_button(
    session: AsyncSession, member: Member, position: Position, action: str, arg: str
) -> Hint | None:
    if action == "keep":
        await _arrive(session, member, position.next(), forward=True)
    elif action == "skip" and position.skippable:
        set_value(member, position.step, None)
        await _arrive(session, member, position.next(), forward=True)
    elif action == "back":
        await _arrive(session, member, position.previous(), forward=False)
    elif action == "pick" and position.step is Step.COHORT and parse_number(arg) is not None:
        cohort = await member_store.get_cohort(session, cohort_id=parse_number(arg) or 0)
        if cohort is None:
            return Hint("profile.problem.cohort_gone")
        member.cohort_id = cohort.id
        await _arrive(session, member, position.next(), forward=True)
    elif action == "pick" and position.step is Step.REGION:
        region = region_for_token(arg, await member_store.known_regions(session))
        if region is None:
            return Hint("profile.problem.region_gone")
        member.region = region
        await _arrive(session, member, position.next(), forward=True)
    else:
        return Hint("profile.problem.stale")
    member.draft = None
    return None


def _position_for(member: Member, action: str, step: str) -> Position | None:
    """Where the button puts the member: /profile buttons start something new; any other
    button must belong to the question the member is at now."""
    if action == "edit":
        return Position(Step(step), Mode.EDIT)
    if action == "job":
        return first(Mode.JOB)
    position = Position.parse(member.awaiting)
    return position if position is not None and position.step.value == step else None


async def press_button(
    session: AsyncSession, *, telegram_id: int, action: str, step: str, arg: str
) -> Outcome | None:
    """A profile button: choose, keep, skip, go back, or start changing a field (`edit`,
    `job`). None when the person is not a member. The caller commits."""
    member = await member_store.get_member(session, telegram_id=telegram_id)
    if member is None:
        return None
    position = _position_for(member, action, step)
    problem: Hint | None = None
    if position is None:
        problem = Hint("profile.problem.stale")
    elif action in {"edit", "job"}:
        member.awaiting = position.awaiting
    else:
        problem = await _take_button(session, member, position, action, arg)
    await member_store.save_member(session, member=member)
    return Outcome(member, position, problem)
