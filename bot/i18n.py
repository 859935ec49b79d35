"""Translations: gettext catalogs (.po) per language, loaded with Babel, rendered as safe HTML.

Every text is looked up by a stable key (`start.welcome`). Parameters are HTML-escaped by
`Markup.format`, so user text can never inject markup; pass `Markup(...)` for trusted fragments.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from babel.messages.pofile import read_po
from markupsafe import Markup

from bot.config import SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"

# What a person typed and the bot repeats back ("„…“ verstehe ich nicht"): shown shortened, so a
# 4,000-character argument cannot push the reply past Telegram's limit. Placeholders with these
# names are always echoes; in error texts (keys naming an error or problem) every plain-text
# parameter is one. A `draft` is shown back on purpose, so that nothing typed is lost: it keeps
# all the room a message has left.
ECHO_PLACEHOLDERS = frozenset({"given", "typed", "option", "command", "code"})
ERROR_KEY_PARTS = (".error.", ".problem.", ".bad_", ".unknown")
ECHO_LIMIT = 60
DRAFT_PLACEHOLDER = "draft"
DRAFT_LIMIT = 3500


def shorten_echo(text: str, limit: int = ECHO_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _shortened(key: str, params: dict[str, object]) -> dict[str, object]:
    in_error = any(part in key for part in ERROR_KEY_PARTS)
    shortened: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, str) and not isinstance(value, Markup):
            if name == DRAFT_PLACEHOLDER:
                value = shorten_echo(value, DRAFT_LIMIT)
            elif in_error or name in ECHO_PLACEHOLDERS:
                value = shorten_echo(value)
        shortened[name] = value
    return shortened


class Translator:
    def __init__(self, catalogs: dict[str, dict[str, str]], default_language: str) -> None:
        self._catalogs = catalogs
        self.default_language = default_language

    @classmethod
    def load(cls, default_language: str, directory: Path = LOCALES_DIR) -> Translator:
        catalogs: dict[str, dict[str, str]] = {}
        for language in SUPPORTED_LANGUAGES:
            messages: dict[str, str] = {}
            for po_file in sorted((directory / language).glob("*.po")):
                with po_file.open("rb") as handle:
                    for message in read_po(handle, locale=language):
                        if message.id and message.string:
                            messages[str(message.id)] = str(message.string)
            catalogs[language] = messages
        return cls(catalogs, default_language)

    def language_for(self, code: str | None) -> str:
        """Map a stored choice or Telegram's `language_code` (e.g. `en-GB`) to a catalog."""
        if code:
            short = code.split("-")[0].lower()
            if short in self._catalogs:
                return short
        return self.default_language

    def __call__(self, language: str | None, key: str, /, **params: object) -> Markup:
        lang = self.language_for(language)
        template = self._catalogs[lang].get(key) or self._catalogs[self.default_language].get(key)
        if template is None:
            raise KeyError(f"missing translation key {key!r}")
        return Markup(template).format(**_shortened(key, params))

    def has(self, key: str) -> bool:
        return key in self._catalogs[self.default_language]

    def keys(self, language: str) -> Iterable[str]:
        return self._catalogs[language].keys()
