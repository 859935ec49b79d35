"""Tag answers with themes from a German lexicon, plus the member's own #hashtags.

The lexicon maps a theme name (shown in digests) to word beginnings: `förder` matches
"Förderung", "Fördermittel"; a keyword containing a space or hyphen matches as a phrase. The
defaults come from what the alumni talk about (see the seed article); a TOML file named in
`CHECKIN_THEMES_FILE` replaces them:

    [themes]
    "Förderung & Finanzen" = ["förder", "finanz", "geld"]
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LEXICON: dict[str, tuple[str, ...]] = {
    "Förderung & Finanzen": (
        "förder", "gefördert", "finanz", "geld", "budget", "haushalt", "zuschuss", "zuschüss",
        "stiftung", "antrag", "anträge", "sponsor", "kosten", "drittmittel", "eigenmittel",
        "fördermittel", "auslaufend", "verstetig", "funding", "money", "grant",
    ),
    "Personal & Honorarkräfte": (
        "personal", "stelle", "honorar", "freelancer", "freiberuf", "ehrenamt", "mitarbeit",
        "einstell", "befrist", "kolleg", "team", "vertretung", "elternzeit", "staff",
        "fachkräfte für", "referent",
    ),
    "Social Media": (
        "social media", "social-media", "instagram", "insta", "tiktok", "facebook", "linkedin",
        "youtube", "influencer", "reels", "whatsapp", "mastodon", "kanal", "kanäle", "posts",
        "follower",
    ),
    "Berufsorientierung": (
        "berufsorient", "berufswahl", "berufsmesse", "praktik", "ausbildung", "azubi",
        "karriere", "studienorient", "bewerbung", "girls'day", "boys'day", "career",
        "berufe", "berufsinfo",
    ),
    "Eltern": ("eltern", "mütter", "väter", "familie", "parents"),
    "Mädchen & MINT": (
        "mädchen", "schülerinnen", "frauen", "girls", "gender", "informatikerin", "technikerin",
    ),
    "Präsenzangebote": (
        "präsenz", "vor ort", "persönlich", "workshop", "veranstaltung", "exkursion", "camp",
        "barcamp", "ferienprogramm", "ferienkurs", "messe", "in person", "in-person",
    ),
    "Politik": (
        "politik", "politisch", "wahl", "landtag", "ministerium", "kommune", "kommunal",
        "bürgermeister", "landesregierung", "koalition", "gemeinderat", "kreistag", "politics",
        "election",
    ),
    "Kooperation & Netzwerk": (
        "kooperation", "kooperier", "partner", "vernetz", "netzwerkpartner", "netzwerktreffen",
        "zusammenarbeit", "bildungsportal", "multiplikator", "sozialraum", "standortmarketing",
        "unternehmen", "hochschule", "cooperation",
    ),
}  # fmt: skip

_HASHTAG = re.compile(r"(?<![\w#])#(\w[\w-]*)")


@dataclass(frozen=True)
class Lexicon:
    """Themes in display order, each with compiled word-beginning patterns."""

    keywords: Mapping[str, tuple[str, ...]]

    @functools.cached_property
    def _patterns(self) -> dict[str, re.Pattern[str]]:
        return {
            theme: re.compile(
                "|".join(rf"(?<!\w){re.escape(keyword.casefold())}" for keyword in words)
            )
            for theme, words in self.keywords.items()
            if words
        }

    @property
    def themes(self) -> list[str]:
        return list(self.keywords)

    def tag(self, text: str) -> list[str]:
        """The themes `text` touches, in lexicon order (hashtag words count too)."""
        folded = text.casefold()
        return [theme for theme, pattern in self._patterns.items() if pattern.search(folded)]


def hashtags(text: str) -> list[str]:
    """`#Elternarbeit` → `Elternarbeit`; each once, in order, spelled as first written."""
    seen: dict[str, str] = {}
    for tag in _HASHTAG.findall(text):
        tag = tag.rstrip("-_")
        if tag and not tag.isdigit():
            seen.setdefault(tag.casefold(), tag)
    return list(seen.values())


def load_lexicon_file(path: Path) -> Lexicon:
    """Read a TOML lexicon; raises ValueError with a one-line reason when it is unusable."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read theme lexicon {path}: {exc}") from None
    themes = data.get("themes")
    if not isinstance(themes, dict) or not themes:
        raise ValueError(f"{path}: expected a [themes] table of name = [keywords]")
    keywords: dict[str, tuple[str, ...]] = {}
    for name, words in themes.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise ValueError(f"{path}: theme {name!r} needs a list of keywords")
        keywords[str(name)] = tuple(words)
    return Lexicon(keywords)


@functools.cache
def lexicon_for(path: str | None) -> Lexicon:
    """The lexicon in use: the file named by `CHECKIN_THEMES_FILE`, else the defaults.

    The digest uses `lexicon_for(settings.checkin_themes_file).themes` to name and order themes.
    """
    if path:
        return load_lexicon_file(Path(path))
    return Lexicon(DEFAULT_LEXICON)
