"""What a broadcast is made of, as the other modules of the feature share it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import escape

from storage.tables import Broadcast


def rendered(broadcast: Broadcast) -> str:
    """The message exactly as it arrives: the coordinator's text, escaped for HTML (line
    breaks kept: Telegram shows them as they are)."""
    return str(escape(broadcast.text))


@dataclass(frozen=True)
class Tally:
    recipients: int
    delivered: int
    unreachable: int  # blocked the bot or deleted the account (marked unreachable)
    failed: int  # given up after retries, or refused by Telegram
    waiting: int  # not sent yet (quiet hours, `zeit=`, retries)
    withdrawn: int  # no longer active when it fell due
    next_due: dt.datetime | None  # when the next waiting one is due

    @property
    def erased(self) -> int:
        """Recipients who erased their data (/forget) since: their rows went with them."""
        counted = self.delivered + self.unreachable + self.failed + self.waiting + self.withdrawn
        return max(0, self.recipients - counted)
