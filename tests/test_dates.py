"""The project's own date rules: dd.mm.yy is 20yy whatever a library or the calendar says."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dates import parse_day

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31.12.2026", dt.date(2026, 12, 31)),
        ("31.12.26", dt.date(2026, 12, 31)),
        ("31.12.99", dt.date(2099, 12, 31)),
        ("1.2.30", dt.date(2030, 2, 1)),
        ("01.01.00", dt.date(2000, 1, 1)),
        ("2026-12-31", dt.date(2026, 12, 31)),
        (" 15.09.2027 ", dt.date(2027, 9, 15)),
    ],
)
def test_written_years(text: str, expected: dt.date) -> None:
    assert parse_day(text, today=TODAY) == expected


def test_two_digit_years_do_not_depend_on_today() -> None:
    for today in (dt.date(1999, 6, 1), dt.date(2026, 1, 1), dt.date(2080, 1, 1)):
        assert parse_day("31.12.99", today=today) == dt.date(2099, 12, 31)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("31.12.", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ("01.12.", dt.date(2026, 12, 1), dt.date(2026, 12, 1)),
        ("30.11.", dt.date(2026, 12, 1), dt.date(2027, 11, 30)),
        ("29.02.", dt.date(2026, 12, 1), dt.date(2028, 2, 29)),
    ],
)
def test_day_and_month_mean_the_next_such_day(text: str, today: dt.date, expected: dt.date) -> None:
    assert parse_day(text, today=today) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "morgen",
        "31.02.2026",
        "32.01.2026",
        "31.12.202",
        "2026-13-01",
        "٣١.١٢.٢٠٢٦",
        "31/12/2026",
        "31.12.2026 18:00",
        "1.1.123",
    ],
)
def test_not_a_day(text: str) -> None:
    assert parse_day(text, today=TODAY) is None
