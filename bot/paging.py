"""Split long HTML output into Telegram-sized messages at section and line boundaries.

Rendered texts keep every tag within one line, so any line boundary is a safe place to cut.
"""

from __future__ import annotations

from collections.abc import Sequence

TELEGRAM_LIMIT = 4096
COUNTER_ROOM = len("\n\n(999/999)")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _hard_wrap(line: str, limit: int) -> list[str]:
    """A single line longer than a message: cut at spaces (tags are never this long)."""
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if _utf16(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while _utf16(word) > limit:
            cut = limit
            while _utf16(word[:cut]) > limit:
                cut -= 1
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        pieces.append(current)
    return pieces


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
        if _utf16(candidate) <= room:
            current = candidate
            return
        if current:
            messages.append(current)
        current = block

    for section in (s.strip("\n") for s in sections):
        if not section:
            continue
        if _utf16(section) <= room:
            push(section, "\n\n")
            continue
        first = True
        for line in section.split("\n"):
            for piece in _hard_wrap(line, room) if _utf16(line) > room else [line]:
                push(piece, "\n\n" if first else "\n")
                first = False
    if current:
        messages.append(current)
    if numbered and len(messages) > 1:
        total = len(messages)
        messages = [f"{text}\n\n({index}/{total})" for index, text in enumerate(messages, 1)]
    return messages
