"""Where the guided profile stands, as stored in `Member.awaiting`: `profile:<step>:<mode>`.

The one place that builds and reads that string. The step order lives here too, so a restart
(or a button pressed on an old message) continues at the right question.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


# `Member.awaiting` as a LIKE pattern while the guided profile after consent runs: such members
# are not prompted when a round opens, but when they finish.
ONBOARDING_PATTERN = f"{PREFIX}:%:{Mode.ONBOARDING.value}"


PLANS: dict[Mode, tuple[Step, ...]] = {
    Mode.ONBOARDING: (Step.NAME, Step.COHORT, Step.REGION, Step.ORGANISATION, Step.ROLE),
    Mode.JOB: (Step.ORGANISATION, Step.ROLE),
}


@dataclass(frozen=True)
class Position:
    step: Step
    mode: Mode

    def encode(self) -> str:
        return f"{PREFIX}:{self.step}:{self.mode}"

    @classmethod
    def decode(cls, awaiting: str | None) -> Position | None:
        """The position stored in `Member.awaiting`; None for another dialogue (or none)."""
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
