"""The chat transcript the demo prints.

The scenes write to it and `sandbox.demo` plays the scenes, so it lives in neither: a scene
never imports the runner.
"""

from __future__ import annotations

import textwrap
from typing import TextIO

from sandbox.driver import ChatView, Person
from sandbox.server import SentMessage

WIDTH = 78


class Transcript:
    """Prints who said what, with the bot's buttons, as a person would see it."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def scene(self, title: str) -> None:
        print(f"\n── {title} " + "─" * max(0, WIDTH - len(title) - 4), file=self.out)

    def said(self, person: Person, text: str) -> None:
        self._block(f"{person.name} →", text)

    def pressed(self, person: Person, button: str) -> None:
        self._block(f"{person.name} →", f"[{button}]")

    def bot(self, chat: ChatView, message: SentMessage) -> None:
        self._block(f"Bot → {chat.label}:", message.text)
        if message.buttons:
            print("      " + "  ".join(f"[{text}]" for text in message.button_texts), file=self.out)

    def _block(self, who: str, text: str) -> None:
        print(who, file=self.out)
        for line in text.splitlines() or [""]:
            wrapped = textwrap.wrap(line, WIDTH - 6) or [""]
            for part in wrapped:
                print("      " + part, file=self.out)

    async def say(self, person: Person, text: str, *, replies: int = 1) -> None:
        self.said(person, text)
        await person.send(text)
        for _ in range(replies):
            self.bot(person, await person.next_message())

    async def press(self, person: Person, button: str, *, replies: int = 1) -> None:
        self.pressed(person, button)
        await person.press(button)
        for _ in range(replies):
            self.bot(person, await person.next_message())
