"""Callback data of the meetup buttons: `mu:<action>:<meetup id>`, built and read only here.

Announcements keep their buttons for months, so this format must keep reading what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.numbers import parse_number

PREFIX = "mu"
PATTERN = rf"^{PREFIX}:"


class MeetupAction(StrEnum):
    YES = "y"
    MAYBE = "m"
    NO = "n"
    NAME = "vis"  # show my name to all alumni, or only to coordinators
    ANNOUNCE = "go"  # the coordinator's preview: announce it
    DISCARD = "x"  # the coordinator's preview: throw it away


_ACTIONS = frozenset(action.value for action in MeetupAction)


@dataclass(frozen=True)
class MeetupButton:
    action: MeetupAction
    meetup_id: int

    def encode(self) -> str:
        return f"{PREFIX}:{self.action.value}:{self.meetup_id}"

    @classmethod
    def decode(cls, data: str) -> MeetupButton | None:
        parts = data.split(":")
        if len(parts) != 3 or parts[0] != PREFIX or parts[1] not in _ACTIONS:
            return None
        meetup_id = parse_number(parts[2])
        if meetup_id is None:
            return None
        return cls(MeetupAction(parts[1]), meetup_id)
