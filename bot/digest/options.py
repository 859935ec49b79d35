"""The options of `/digest`, in plain German words, combinable in any order.

`/digest 3 anonym jahrgang=2022 thema="Social Media" gruppe datei`. English words work too
(`anonymous`, `cohort=`, `theme=`, `group`, `file`). Values with spaces go in quotes, or are
matched by a unique beginning (`thema=social`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.numbers import parse_number

FLAGS = {
    "anonym": "anonymous",
    "anonymous": "anonymous",
    "gruppe": "group",
    "group": "group",
    "datei": "files",
    "dateien": "files",
    "file": "files",
    "files": "files",
}
VALUES = {
    "runde": "round",
    "round": "round",
    "jahrgang": "cohort",
    "cohort": "cohort",
    "thema": "theme",
    "theme": "theme",
}
HELP_WORDS = {"hilfe", "help", "?"}

# A word, a key="quoted value", or a quoted value on its own ("…" and „…“ as typed on phones).
_TOKEN = re.compile(r'(\S+?=)?(?:"([^"]*)"|„([^“”"]*)[“”"]|(\S+))')


@dataclass(frozen=True)
class DigestOptions:
    round_number: int | None = None
    anonymous: bool = False
    cohort: str | None = None  # as typed; resolved against the stored cohorts later
    theme: str | None = None  # as typed; resolved against the round's themes later
    group: bool = False
    files: bool = False


@dataclass
class OptionError(Exception):
    """Bad input for /digest; `key` names the catalog text that explains how to do it right."""

    key: str
    params: dict[str, object] = field(default_factory=dict)


def tokens(text: str) -> list[str]:
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        prefix, quoted, german_quoted, bare = match.groups()
        value = quoted if quoted is not None else german_quoted
        found.append((prefix or "") + (value if value is not None else bare or ""))
    return found


def parse_options(text: str) -> DigestOptions:
    """`text` is what follows the command; raises OptionError with a friendly explanation."""
    values: dict[str, object] = {}
    for token in tokens(text):
        word = token.casefold()
        if word in HELP_WORDS:
            raise OptionError("digest.usage")
        if word.isdigit():  # also "²" or 20 digits: explained by _round_number, not a crash
            _set(values, "round", _round_number(token), token)
        elif word in FLAGS:
            values[FLAGS[word]] = True
        elif "=" in word and word.split("=", 1)[0] in VALUES:
            name, value = token.split("=", 1)
            option = VALUES[name.casefold()]
            if not value.strip():
                raise OptionError("digest.error.empty_value", {"option": name.casefold()})
            parsed: object = _round_number(value) if option == "round" else value.strip()
            _set(values, option, parsed, token)
        else:
            raise OptionError("digest.error.unknown_option", {"option": token})
    return DigestOptions(
        round_number=values.get("round"),  # type: ignore[arg-type]
        anonymous=bool(values.get("anonymous")),
        cohort=values.get("cohort"),  # type: ignore[arg-type]
        theme=values.get("theme"),  # type: ignore[arg-type]
        group=bool(values.get("group")),
        files=bool(values.get("files")),
    )


def _round_number(value: str) -> int:
    number = parse_number(value)  # ASCII digits that fit the database, else None
    if number is None or number < 1:
        raise OptionError("digest.error.bad_round", {"value": value})
    return number


def _set(values: dict[str, object], option: str, value: object, token: str) -> None:
    if option in values and values[option] != value:
        raise OptionError("digest.error.twice", {"option": token})
    values[option] = value


def normalise(text: str) -> str:
    """Compare names the way people type them: case, accents' forms, spaces and `&` ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())


def match_name(typed: str, names: Iterable[str]) -> str | list[str]:
    """The one name `typed` means (exact, else a unique beginning, else a unique part).

    Returns the candidates (maybe empty) when it is not unique, so the reply can list them.
    """
    wanted = normalise(typed.lstrip("#"))
    candidates = {normalise(name): name for name in names}
    if wanted in candidates:
        return candidates[wanted]
    if not wanted:
        return []
    for test in (str.startswith, str.__contains__):
        found = [name for key, name in candidates.items() if test(key, wanted)]
        if len(found) == 1:
            return found[0]
        if found:
            return sorted(found)
    return []
