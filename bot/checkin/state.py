"""Where a member's check-in dialogue stands, as kept in `Member.awaiting`: built and read here.

    checkin:<round id>                          free text is the answer to the next question
    checkin:<round id>:edit:<round question id> free text replaces that one answer

The position itself is never stored: it is "the first question without an answer".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.numbers import parse_number

PREFIX = "checkin"  # the text router's route for these states
_EDIT = "edit"


@dataclass(frozen=True)
class CheckinState:
    round_id: int
    editing: int | None = None  # the round question whose answer the next text replaces

    def encode(self) -> str:
        if self.editing is None:
            return f"{PREFIX}:{self.round_id}"
        return f"{PREFIX}:{self.round_id}:{_EDIT}:{self.editing}"

    @classmethod
    def decode(cls, awaiting: str | None) -> CheckinState | None:
        """The check-in state, or None for another dialogue's state, no state or junk."""
        parts = (awaiting or "").split(":")
        if parts[0] != PREFIX or len(parts) not in (2, 4):
            return None
        round_id = parse_number(parts[1])
        if round_id is None:
            return None
        if len(parts) == 2:
            return cls(round_id)
        editing = parse_number(parts[3])
        return cls(round_id, editing) if parts[2] == _EDIT and editing is not None else None
