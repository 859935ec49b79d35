"""`python -m bot demo`: the real bot against the local sandbox, printed as a chat transcript."""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.logging_setup import configure_logging
from sandbox.driver import Person
from sandbox.harness import FAST_LIMITS, Harness, sandbox_settings
from sandbox.scenes import checkin, digest, meetups, polls
from sandbox.server import SandboxServer
from sandbox.transcript import Transcript
from storage import members as member_store


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
    dana, group = await digest.scene(harness, transcript)  # the round's digest
    await polls.scene(harness, transcript, coordinator=dana, group=group)
    await meetups.scene(harness, transcript, coordinator=dana, group=group)


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
