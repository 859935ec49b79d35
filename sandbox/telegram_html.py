"""Parse text with `parse_mode=HTML` the way Telegram does: plain text plus entities, or an error.

Telegram accepts a small set of tags, requires them balanced, and rejects a bare `<` or an
unknown entity. Lengths are counted in UTF-16 code units, like Telegram's entity offsets.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """What Telegram answers as 400 "Bad Request: can't parse entities: ..."."""


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    offset: int
    attrs: dict[str, str | None] = field(default_factory=dict)


class _TelegramHTMLParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text_parts: list[str] = []
        self.length = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def _append(self, text: str) -> None:
        self.text_parts.append(text)
        self.length += utf16_length(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAG_ENTITY:
            raise EntityParseError(f'Unsupported start tag "{tag}"')
        attributes = dict(attrs)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError('Unsupported start tag "span"')
        if tag == "a" and not attributes.get("href"):
            raise EntityParseError("Can't find end of the link")
        self.stack.append(_OpenTag(tag, self.length, attributes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise EntityParseError(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1].name != tag:
            raise EntityParseError(f'Unmatched end tag "{tag}"')
        opened = self.stack.pop()
        if self.length > opened.offset:
            entity: dict[str, Any] = {
                "type": TAG_ENTITY[tag],
                "offset": opened.offset,
                "length": self.length - opened.offset,
            }
            if tag == "a":
                entity["url"] = opened.attrs["href"]
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise EntityParseError("Unclosed start tag")
        self._append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            raise EntityParseError(f'Unsupported HTML entity "&{name};"')
        self._append(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name[:1] in "xX" else int(name)
            self._append(chr(code))
        except ValueError as exc:
            raise EntityParseError(f'Unsupported HTML entity "&#{name};"') from exc

    def handle_comment(self, data: str) -> None:
        raise EntityParseError("Unsupported start tag")

    def handle_decl(self, decl: str) -> None:
        raise EntityParseError("Unsupported start tag")

    def unknown_decl(self, data: str) -> None:
        raise EntityParseError("Unsupported start tag")


_BARE_AMPERSAND = re.compile(r"&(?![A-Za-z]+;|#\d+;|#[xX][0-9a-fA-F]+;)")


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and entities Telegram would derive, or raise EntityParseError."""
    # Telegram tolerates a lone "&" and treats it as text; HTMLParser would too, but keep it
    # explicit so the plain text matches.
    text = _BARE_AMPERSAND.sub("&amp;", text)
    parser = _TelegramHTMLParser()
    parser.feed(text)
    parser.close()
    if parser.rawdata:
        raise EntityParseError("Unclosed start tag")
    if parser.stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1].name}"'
        )
    return "".join(parser.text_parts), sorted(parser.entities, key=lambda e: e["offset"])


def plain_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    if parse_mode and parse_mode.upper() == "HTML":
        return parse_html(text)
    return text, []


__all__ = ["EntityParseError", "html", "parse_html", "plain_text", "utf16_length"]
