"""The text catalogs: German and English match key for key, and every key the code uses exists.

This guards every feature's texts, not only the foundation's: a key added in German only, a
placeholder renamed in one language, or a typo in a key in the code fails here, not in front
of a member.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from markupsafe import Markup

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import LOCALES_DIR, Translator
from handlers.menus import MENU

ROOT = Path(__file__).resolve().parent.parent
KEY = r'"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"'
# translate(language, "key") / t(lang, "key") / reply(update, context, "key"), also with
# `"a.key" if condition else "b.key"` in the key's place.
KEY_IN_CALL = re.compile(
    r"(?:\b(?:translate|t)\(\s*[\w.]+\s*,\s*|\breply\(\s*update\s*,\s*context\s*,\s*)"
    + KEY
    + r"(?:\s+if\s+[^\n]+?\s+else\s+"
    + KEY
    + ")?"
)


def catalog(language: str, name: str) -> dict[str, str]:
    with (LOCALES_DIR / language / name).open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale=language) if m.id}


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def catalog_names() -> list[str]:
    names = {
        path.name
        for language in SUPPORTED_LANGUAGES
        for path in (LOCALES_DIR / language).glob("*.po")
    }
    return sorted(names)


@pytest.mark.parametrize("name", catalog_names())
def test_german_and_english_have_the_same_keys_and_placeholders(name: str) -> None:
    german, english = catalog("de", name), catalog("en", name)
    assert sorted(set(german) - set(english)) == [], f"{name}: missing in English"
    assert sorted(set(english) - set(german)) == [], f"{name}: missing in German"
    for key in german:
        assert german[key].strip(), f"{name}: {key} is empty in German"
        assert english[key].strip(), f"{name}: {key} is empty in English"
        assert placeholders(german[key]) == placeholders(english[key]), (
            f"{name}: {key} has placeholders {sorted(placeholders(german[key]))} in German "
            f"but {sorted(placeholders(english[key]))} in English"
        )


def test_no_key_is_defined_twice_across_catalogs() -> None:
    seen: dict[str, str] = {}
    for name in catalog_names():
        for key in catalog("de", name):
            assert key not in seen, f"{key} is in both {seen[key]} and {name}"
            seen[key] = name


def keys_used_in_code() -> dict[str, str]:
    used: dict[str, str] = {}
    for folder in ("bot", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for match in KEY_IN_CALL.finditer(path.read_text(encoding="utf-8")):
                for key in match.groups():
                    if key:
                        used.setdefault(key, str(path.relative_to(ROOT)))
    return used


def test_the_scan_finds_keys() -> None:
    used = keys_used_in_code()
    assert used["error.generic"] == "handlers/errors.py"  # the scan itself works
    assert "text.not_understood" in used


def test_every_key_used_in_code_exists_in_both_languages() -> None:
    translate = Translator.load("de")
    missing = [
        f"{key} (used in {where}) missing in {language}"
        for key, where in sorted(keys_used_in_code().items())
        for language in SUPPORTED_LANGUAGES
        if key not in translate.keys(language)
    ]
    assert missing == []


def test_every_menu_command_has_a_description() -> None:
    translate = Translator.load("de")
    missing = [
        f"{command.description_key} in {language}"
        for command in MENU
        for language in SUPPORTED_LANGUAGES
        if command.description_key not in translate.keys(language)
    ]
    assert missing == []


def test_parameters_are_escaped_and_languages_fall_back() -> None:
    translate = Translator.load("de")
    text = translate("en-GB", "start.welcome", name="<b>Ann & Co</b>")
    assert isinstance(text, Markup) and "&lt;b&gt;Ann &amp; Co&lt;/b&gt;" in text
    assert translate.language_for("fr") == "de" and translate.language_for(None) == "de"
    with pytest.raises(KeyError, match="missing translation key"):
        translate("de", "no.such.key")
