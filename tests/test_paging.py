"""Unit tests for splitting long output (the end-to-end side is in the digest tests)."""

from __future__ import annotations

import random

from bot.paging import TELEGRAM_LIMIT, split_message
from sandbox.telegram_html import parse_html


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


def _valid(parts: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Each part as Telegram shows it; fails when the sandbox (as Telegram) would reject one."""
    shown = []
    for part in parts:
        assert len(part.encode("utf-16-le")) // 2 <= limit
        shown.append(parse_html(part)[0])
    return shown


def test_a_giant_line_is_never_cut_inside_an_entity_or_a_tag() -> None:
    escaped = "Tom&amp;Jerry&lt;3&#39;" * 400  # one word: 9,200 characters of escaped text
    parts = split_message([escaped])
    assert len(parts) > 2
    shown = _valid(parts)
    assert "".join(text.rsplit("\n\n", 1)[0] for text in shown) == "Tom&Jerry<3'" * 400


def test_formatting_across_a_cut_is_closed_and_opened_again() -> None:
    line = "• <b>Anna Schmidt</b>: <i>" + "kursiv & schön " * 600 + "</i> Ende"
    parts = split_message([line], numbered=False)
    assert len(parts) > 1
    for part in parts:
        _, entities = parse_html(part)
        assert entities[-1]["type"] == "italic"
    assert parts[-1].endswith("</i> Ende")


def test_the_authors_name_stays_with_the_start_of_the_answer() -> None:
    line = "• 🔒<b>Anna Schmidt</b> (MINT-Region Nordhessen): " + "x" * 5000
    first, *_ = _valid(split_message([line]))
    assert first.startswith("• 🔒Anna Schmidt (MINT-Region Nordhessen): xxx")


def test_random_html_lines_always_give_valid_parts() -> None:
    rng = random.Random(7)
    words = ["wort", "&amp;", "&lt;b&gt;", "😀", "<b>fett</b>", "<i>ganz kursiv</i>", "a&amp;b"]
    for limit in (60, 97, 250):
        for _ in range(30):
            line = " ".join(rng.choice(words) for _ in range(rng.randint(30, 200)))
            line = "<b>Name</b>: " + line.replace(" ", "" if rng.random() < 0.2 else " ")
            parts = split_message([line], limit=limit, numbered=False)
            shown = _valid(parts, limit)
            assert "".join(shown).replace(" ", "") == parse_html(line)[0].replace(" ", "")
