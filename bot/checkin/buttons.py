"""Callback data of the check-in buttons: `ci:<action>:<id>[:<value>]`, built and read only here.

Old messages keep their buttons for weeks, so this format must keep reading what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.numbers import parse_number

PREFIX = "ci"
PATTERN = rf"^{PREFIX}:"  # what the Telegram adapter routes here


class ButtonAction(StrEnum):
    SKIP = "skip"  # id: the round question
    LATER = "later"  # id: the round
    GO = "go"  # id: the round (the reminder's "continue")
    VISIBILITY = "vis"  # id: the round; value: the visibility chosen
    EDIT = "edit"  # id: the round question
    TRIM = "trim"  # id: the round question (take the shortened draft)


_ACTIONS = frozenset(action.value for action in ButtonAction)
# The actions whose id is a round's; the others name one of its questions.
ROUND_ACTIONS = frozenset({ButtonAction.LATER, ButtonAction.GO, ButtonAction.VISIBILITY})


@dataclass(frozen=True)
class CheckinButton:
    action: ButtonAction
    ident: int
    value: str | None = None

    def __post_init__(self) -> None:
        if self.value is not None and (not self.value or ":" in self.value):
            raise ValueError(f"button value {self.value!r}: not empty, no ':'")

    @property
    def names_round(self) -> bool:
        return self.action in ROUND_ACTIONS

    def encode(self) -> str:
        parts = [PREFIX, self.action.value, str(self.ident)]
        if self.value is not None:
            parts.append(self.value)
        return ":".join(parts)

    @classmethod
    def decode(cls, data: str) -> CheckinButton | None:
        """The button pressed, or None for anything this format never produced."""
        parts = data.split(":")
        if len(parts) not in (3, 4) or parts[0] != PREFIX:
            return None
        if parts[1] not in _ACTIONS:
            return None
        ident = parse_number(parts[2])
        value = parts[3] if len(parts) == 4 else None
        if ident is None or value == "":
            return None
        return cls(ButtonAction(parts[1]), ident, value)
