"""Callback data of the preview's buttons: `bc:<send|cancel>:<broadcast id>`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PATTERN = r"^bc:(send|cancel):[0-9]+$"
_DATA = re.compile(r"bc:(send|cancel):([0-9]+)")


class BroadcastAction(StrEnum):
    SEND = "send"
    CANCEL = "cancel"


@dataclass(frozen=True)
class BroadcastButton:
    action: BroadcastAction
    broadcast_id: int

    def encode(self) -> str:
        return f"bc:{self.action.value}:{self.broadcast_id}"

    @classmethod
    def decode(cls, data: str) -> BroadcastButton | None:
        match = _DATA.fullmatch(data)
        return cls(BroadcastAction(match[1]), int(match[2])) if match else None
