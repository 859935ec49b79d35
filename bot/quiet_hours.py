"""Quiet hours: a daily window (local time) in which the bot sends nothing on its own."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, value: str) -> QuietHours | None:
        """`20:00-08:00` (may wrap midnight); empty means no quiet hours."""
        if not value.strip():
            return None
        match = _WINDOW.match(value)
        if not match:
            raise ValueError("expected a window such as 20:00-08:00, or empty for none")
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
            raise ValueError("expected times between 00:00 and 23:59, such as 20:00-08:00")
        start, end = dt.time(h1, m1), dt.time(h2, m2)
        if start == end:
            raise ValueError("start and end of the quiet hours must differ")
        return cls(start, end)

    def contains(self, moment: dt.datetime, tz: ZoneInfo) -> bool:
        local = moment.astimezone(tz).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        """`moment` itself if it is outside the window, else the window's end (aware, UTC)."""
        if not self.contains(moment, tz):
            return moment
        local = moment.astimezone(tz)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end = (local + dt.timedelta(days=1)).replace(
                hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0
            )
        # Rebuild through the zone so a DST change in between lands on the right wall time.
        end = dt.datetime.combine(end.date(), self.end, tzinfo=tz)
        return end.astimezone(dt.UTC)
