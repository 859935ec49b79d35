"""Unit tests for splitting long output (the end-to-end side is in the digest tests)."""

from __future__ import annotations

from bot.paging import TELEGRAM_LIMIT, split_message


def test_short_output_is_one_unnumbered_message() -> None:
    assert split_message(["<b>A</b>\nline", "B"]) == ["<b>A</b>\nline\n\nB"]


def test_long_output_is_cut_between_sections_and_numbered() -> None:
    sections = [f"<b>Thema {i}</b>\n" + "\n".join(["x" * 90] * 10) for i in range(20)]
    parts = split_message(sections)
    assert len(parts) > 1
    assert all(len(part) <= TELEGRAM_LIMIT for part in parts)
    assert parts[0].endswith(f"(1/{len(parts)})")
    # no section is torn apart when it fits into one message
    assert all(part.count("<b>") == part.count("</b>") for part in parts)
    joined = "".join(parts)
    assert all(f"Thema {i}</b>" in joined for i in range(20))


def test_a_giant_line_is_wrapped_at_spaces_and_emoji_count_double() -> None:
    line = " ".join(["😀wort"] * 3000)
    parts = split_message([line])
    assert all(len(part.encode("utf-16-le")) // 2 <= TELEGRAM_LIMIT for part in parts)
    assert sum(part.count("😀wort") for part in parts) == 3000
