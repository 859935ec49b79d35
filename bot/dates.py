"""Reading the dates people type, by the project's own rules (no library's century guess).

`dd.mm.yy` always means 20yy; `dd.mm.` means the next such day from today on; ISO `yyyy-mm-dd`
is accepted as it is. Every date the bot reads (pauses, poll close times, meetups) goes here.
"""

from __future__ import annotations

import datetime as dt
import re

_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_GERMAN = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{2}|[0-9]{4})?")


def parse_day(text: str, *, today: dt.date) -> dt.date | None:
    """31.12.2026, 31.12.26 (= 2026), 31.12. (this year, or next once it has passed), 2026-12-31.

    None for anything else, including impossible days such as 31.02.2026. ASCII digits only.
    """
    text = text.strip()
    iso = _ISO.fullmatch(text)
    german = _GERMAN.fullmatch(text)
    if iso is not None:
        year, month, day = (int(part) for part in iso.groups())
    elif german is not None:
        day, month = int(german.group(1)), int(german.group(2))
        written_year = german.group(3)
        if written_year is None:
            return _next_occurrence(day, month, today)
        year = int(written_year) + (2000 if len(written_year) == 2 else 0)
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _next_occurrence(day: int, month: int, today: dt.date) -> dt.date | None:
    for year in range(today.year, today.year + 5):  # 29.02. may be four years ahead
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None
