"""Split long HTML output into Telegram-sized messages at section and line boundaries (and
shorten plain text that must fit a place).

Rendered texts keep every tag within one line, so any line boundary is a safe place to cut;
a line longer than a message is cut between words without breaking its HTML (`_hard_wrap`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TELEGRAM_LIMIT = 4096
COUNTER_ROOM = len("\n\n(999/999)")


TRIM_MARK = " …"


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """Cut overlong plain text at a word boundary, marked with an ellipsis."""
    room = limit - len(TRIM_MARK)
    cut = text[:room]
    if " " in cut[room // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + TRIM_MARK


def excerpt(text: str, limit: int) -> str:
    """The text itself if it has at most `limit` characters, else its shortened start."""
    return text if len(text) <= limit else shorten(text, limit)


# One unit of rendered HTML that must never be cut: a tag, an entity, or one character.
_ATOM = re.compile(r"<[^<>]*>|&#?\w+;|.", re.DOTALL)
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>")
# A line that starts with an author in bold ("• 🔒<b>Name</b> (Region): text").
_LEADING_NAME = re.compile(r"[^<\n]{0,12}<b>.*?</b>")


def _hard_wrap(line: str, limit: int) -> list[str]:
    """A single line longer than a message, cut into pieces of at most `limit` UTF-16 units.

    The line is rendered HTML, so a cut never falls inside a tag or an entity (`&amp;`); it
    prefers a space outside any formatting, and a tag still open at a cut is closed at the end
    of the piece and opened again at the start of the next, so every piece is valid HTML on
    its own. A leading bold name stays with at least the start of the text after it.
    """
    pieces: list[str] = []
    text = line
    while utf16_length(text) > limit:
        earliest = _after_leading_name(text) if not pieces else 0
        cut, open_tags = _cut(text, limit, earliest)
        closers = "".join(f"</{_tag_name(tag)}>" for tag in reversed(open_tags))
        pieces.append(text[:cut].rstrip(" ") + closers)
        text = "".join(open_tags) + text[cut:].lstrip(" ")
    if text.strip():
        pieces.append(text)
    return pieces


def _tag_name(tag: str) -> str:
    match = _TAG.match(tag)
    return match.group(2) if match else ""


def _after_leading_name(text: str) -> int:
    """Where the first cut may fall at the earliest: after the author's name, the region that
    follows it up to ": ", and the first atom of their text; 0 without a leading bold name."""
    name = _LEADING_NAME.match(text)
    if name is None:
        return 0
    colon = text.find(": ", name.end(), name.end() + 300)
    start = colon + 2 if colon >= 0 else name.end()
    while start < len(text) and text[start] == " ":
        start += 1
    atom = _ATOM.match(text, start)
    return atom.end() if atom else len(text)


def _cut(text: str, limit: int, earliest: int) -> tuple[int, list[str]]:
    """The best place to cut `text` within `limit` and the tags open there.

    Preference: a space outside any tag pair, a space inside one, any atom boundary outside,
    any atom boundary; each at or after `earliest` if possible. Room is kept for the closing
    tags a cut inside a tag pair needs.
    """
    best: dict[int, tuple[int, list[str]]] = {}
    fallback: dict[int, tuple[int, list[str]]] = {}
    stack: list[str] = []
    units = 0
    for atom in _ATOM.finditer(text):
        units += utf16_length(atom.group())
        tag = _TAG.fullmatch(atom.group())
        if tag and tag.group(1):
            if stack:
                stack.pop()
        elif tag and not atom.group().endswith("/>"):
            stack.append(atom.group())
        closing = sum(len(_tag_name(t)) + 3 for t in stack)  # "</b>" per open tag
        if units + closing > limit:
            break
        position = atom.end()
        if position >= len(text):
            break
        rank = (0 if text[position] == " " else 2) + (1 if stack else 0)
        target = best if position >= earliest else fallback
        target[rank] = (position, list(stack))
    for candidates in (best, fallback):
        if candidates:
            return candidates[min(candidates)]
    # Not even one atom fits (cannot happen with Telegram's limit); cut after the first one.
    first = _ATOM.match(text)
    return (first.end() if first else len(text)), []


def split_message(
    sections: Sequence[str], *, limit: int = TELEGRAM_LIMIT, numbered: bool = True
) -> list[str]:
    """Pack sections (blank-line separated) into messages of at most `limit` UTF-16 units.

    A section is kept whole when it fits; otherwise it is cut between lines. With more than one
    message and `numbered`, each ends with "(i/n)".
    """
    room = limit - (COUNTER_ROOM if numbered else 0)
    messages: list[str] = []
    current = ""

    def push(block: str, separator: str) -> None:
        nonlocal current
        candidate = f"{current}{separator}{block}" if current else block
        if utf16_length(candidate) <= room:
            current = candidate
            return
        if current:
            messages.append(current)
        current = block

    for section in (s.strip("\n") for s in sections):
        if not section:
            continue
        if utf16_length(section) <= room:
            push(section, "\n\n")
            continue
        first = True
        for line in section.split("\n"):
            for piece in _hard_wrap(line, room) if utf16_length(line) > room else [line]:
                push(piece, "\n\n" if first else "\n")
                first = False
    if current:
        messages.append(current)
    if numbered and len(messages) > 1:
        total = len(messages)
        messages = [f"{text}\n\n({index}/{total})" for index, text in enumerate(messages, 1)]
    return messages
