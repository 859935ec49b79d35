"""Theme tagging from the German lexicon, and hashtags."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from bot.themes import DEFAULT_LEXICON, Lexicon, hashtags, lexicon_for, load_lexicon_file

LEXICON = Lexicon(DEFAULT_LEXICON)


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("Unsere Förderung läuft aus, das Geld ist knapp", ["Förderung & Finanzen"]),
        ("Wir suchen Honorarkräfte für die AGs", ["Personal & Honorarkräfte"]),
        ("Mehr Reichweite über Instagram und lokale Influencer", ["Social Media"]),
        ("Praktikumsbörse zur Berufsorientierung", ["Berufsorientierung"]),
        ("Elternabend zur Studienwahl", ["Eltern"]),
        ("Das Mädchen-Projekt geht in die nächste Runde", ["Mädchen & MINT"]),
        ("Präsenzangebote werden wieder gut nachgefragt", ["Präsenzangebote"]),
        ("Nach der Landtagswahl ist alles offen", ["Politik"]),
        ("Sozialraumkoordinator:innen als Multiplikator:innen", ["Kooperation & Netzwerk"]),
        ("Heute nichts Besonderes", []),
    ],
)
def test_seed_topics_are_tagged(text: str, themes: list[str]) -> None:
    assert LEXICON.tag(text) == themes


def test_several_themes_in_lexicon_order_and_word_beginnings_only() -> None:
    text = "Eltern und Schülerinnen beim Workshop; die Stelle ist befristet"
    assert LEXICON.tag(text) == [
        "Personal & Honorarkräfte",
        "Eltern",
        "Mädchen & MINT",
        "Präsenzangebote",
    ]
    assert LEXICON.tag("Wahlpflichtfach") == ["Politik"]  # a known over-match, kept simple
    assert LEXICON.tag("Auswahl") == []  # not at a word beginning


def test_hashtags_are_extracted_once_in_order() -> None:
    text = "#Elternarbeit ist wichtig, #MINT-Region und nochmal #elternarbeit; kein C#, kein #123"
    assert hashtags(text) == ["Elternarbeit", "MINT-Region"]
    assert LEXICON.tag("#Elternarbeit") == ["Eltern"]


def test_lexicon_file_replaces_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    path.write_text('[themes]\n"Robotik" = ["roboter", "lego"]\n', encoding="utf-8")
    lexicon = load_lexicon_file(path)
    assert lexicon.themes == ["Robotik"]
    assert lexicon.tag("Lego-Roboter in der Grundschule") == ["Robotik"]
    assert lexicon_for(str(path)).themes == ["Robotik"]
    assert lexicon_for(None).themes[0] == "Förderung & Finanzen"
    settings = load_settings(_env_file=None, checkin_themes_file=str(path))
    assert settings.checkin_themes_file == str(path)


def test_broken_lexicon_file_stops_start_up_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "themes.toml"
    path.write_text('[themes]\n"Robotik" = "roboter"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"CHECKIN_THEMES_FILE: .*needs a list of keywords"):
        load_settings(_env_file=None, checkin_themes_file=str(path))
