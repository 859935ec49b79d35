"""Reading `/broadcast`: settings before the text, the text's own line breaks and "=" kept."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.broadcasts.syntax import is_help, parse_command

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 9, 1, 10, 0, tzinfo=dt.UTC)  # 12:00 in Berlin


def test_settings_come_first_and_the_text_keeps_its_lines() -> None:
    parsed = parse_command(
        "jahrgang=2023 region=Nordhessen zeit=14.09.2026 18:30\nHallo a=b,\n\n  zweite Zeile  ",
        now=NOW,
        tz=BERLIN,
    )
    assert parsed.problems == [] and parsed.spec is not None
    assert parsed.spec.cohort == "2023" and parsed.spec.region == "Nordhessen"
    assert parsed.spec.send_at == dt.datetime(2026, 9, 14, 16, 30, tzinfo=dt.UTC)
    assert parsed.spec.text == "Hallo a=b,\n\n  zweite Zeile"


def test_times_of_day_and_spans() -> None:
    today = parse_command("zeit=18:00 Hallo", now=NOW, tz=BERLIN).spec
    assert today is not None and today.send_at == dt.datetime(2026, 9, 1, 16, 0, tzinfo=dt.UTC)
    tomorrow = parse_command("zeit=09:00 Hallo", now=NOW, tz=BERLIN).spec
    assert tomorrow is not None
    assert tomorrow.send_at == dt.datetime(2026, 9, 2, 7, 0, tzinfo=dt.UTC)
    later = parse_command("at=90m Hello", now=NOW, tz=BERLIN).spec
    assert later is not None and later.send_at == NOW + dt.timedelta(minutes=90)


def test_problems_name_what_to_fix() -> None:
    def keys(text: str) -> list[str]:
        return [problem.key for problem in parse_command(text, now=NOW, tz=BERLIN).problems]

    assert keys("zeit=bald Hallo") == ["broadcasts.problem.bad_time"]
    assert keys("zeit=14.09.2026 Hallo") == ["broadcasts.problem.bad_time"]  # no time of day
    assert keys("zeit=12 Hallo") == ["broadcasts.problem.bad_time"]  # a bare number
    assert keys("zeit=01.08.2026 10:00 Hallo") == ["broadcasts.problem.past_time"]
    assert keys("jahrgang= Hallo") == ["broadcasts.problem.empty_setting"]
    assert keys("region=Nord") == ["broadcasts.problem.no_text"]
    assert keys("😀" * 2049) == ["broadcasts.problem.too_long"]  # 4098 as Telegram counts
    assert is_help("") and is_help(" hilfe ") and not is_help("Hilfe beim Antrag gesucht")
