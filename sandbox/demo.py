"""`python -m bot demo`: the real bot against the local sandbox, printed as a chat transcript."""

from __future__ import annotations

import logging
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import TextIO

from bot.logging_setup import configure_logging
from sandbox.driver import ChatView, Person
from sandbox.harness import FAST_LIMITS, Harness, sandbox_settings
from sandbox.scenes import checkin, digest
from sandbox.server import SandboxServer, SentMessage
from storage import members as member_store

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


async def play(harness: Harness, transcript: Transcript) -> None:
    world = harness.world
    anna = world.user("Anna", last_name="Schmidt")
    ben = world.user("Ben", last_name="Yilmaz")
    clara = world.user("Clara", language="en")

    transcript.scene("Alumni find the bot")
    for person in (anna, ben, clara):
        await transcript.say(person, "/start")
    await transcript.say(anna, "/help")
    await _onboarding(harness, transcript, anna)
    await checkin.scene(harness, transcript, anna)  # leaves the round open
    await digest.scene(harness, transcript)  # last: the round's digest


async def _onboarding(harness: Harness, transcript: Transcript, anna: Person) -> None:
    """Anna agrees to the privacy notice and fills in her profile (one step skipped)."""
    async with harness.services.db.write() as session:
        for name in ("Jahrgang 2022", "Jahrgang 2023", "Jahrgang 2024"):
            await member_store.add_cohort(session, name=name)
        await session.commit()
    transcript.scene("Anna agrees and fills in her profile")
    await transcript.press(anna, "Einverstanden", replies=2)
    await transcript.press(anna, "Übernehmen")
    await transcript.press(anna, "Jahrgang 2023")
    await transcript.say(anna, "MINT-Region Nordhessen")
    await transcript.say(anna, "Bildungsbüro Kassel")
    await transcript.press(anna, "Überspringen")


async def run_demo(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    configure_logging(level="WARNING", log_format="text", secrets=[])
    with tempfile.TemporaryDirectory(prefix="alumni-demo-") as directory:
        async with SandboxServer(limits=FAST_LIMITS) as server:
            configure_logging(level="WARNING", log_format="text", secrets=[server.token])
            settings = sandbox_settings(server, Path(directory) / "demo.db")
            transcript = Transcript(out)
            print(
                "Alumni-Austausch – demo against the local sandbox (no Telegram needed)", file=out
            )
            async with Harness(server, settings) as harness:
                await play(harness, transcript)
    logging.getLogger(__name__).debug("demo finished")
    return 0
