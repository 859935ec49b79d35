"""Benchmark: how fast check-in answers are taken in, compared with a bare PTB echo bot.

    .venv/bin/python bench/ingestion.py [--members 200] [--answers 10]

200 simulated members (in parallel) each answer 10 questions through the local sandbox, every
one waiting for the bot's reply before typing the next, as a person would. The same load is
first sent to a bare python-telegram-bot Application that echoes each message (same sandbox,
same process, same per-update concurrency), so the ratio says what our database work and
routing cost. The bot commits every answer before it replies (bot.checkin.take_text runs inside
`db.write()` and commits before the handler sends), and the run checks that all answers are
stored. Not run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import func, select, update
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.rounds import lifecycle as rounds
from handlers.app import running
from sandbox.driver import Person, World
from sandbox.harness import FAST_LIMITS, Harness, sandbox_settings
from sandbox.server import SandboxServer
from storage import rounds as round_store
from storage.tables import Answer, Member, Question
from storage.types import utcnow


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def _echo_application(server: SandboxServer) -> Application:  # type: ignore[type-arg]
    application = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_url.replace("/bot", "/file/bot"))
        .concurrent_updates(64)  # our bot handles up to 64 chats at a time too
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    return application


async def _converse(server: SandboxServer, person: Person, texts: list[str]) -> None:
    """Send each text and wait for the bot's reply before the next one."""
    chat = server.messages
    for text in texts:
        before = len(chat.get(person.id, []))
        await person.send(text)
        if not await server.wait_for(lambda b=before: len(chat.get(person.id, [])) > b, 30):
            raise RuntimeError(f"{person.name} got no reply to {text!r}")


async def _load(server: SandboxServer, people: list[Person], answers: int) -> float:
    scripts = [
        [f"Antwort {i} von {person.name}: Förderung, Honorarkräfte #MINT" for i in range(answers)]
        for person in people
    ]
    started = time.perf_counter()
    await asyncio.gather(*(_converse(server, p, s) for p, s in zip(people, scripts, strict=True)))
    return time.perf_counter() - started


async def measure_echo(server: SandboxServer, members: int, answers: int) -> float:
    world = World(server)
    people = [world.user(f"Echo{i}") for i in range(members)]
    async with running(_echo_application(server)):  # type: ignore[arg-type]
        elapsed = await _load(server, people, answers)
    return members * answers / elapsed


async def _prepare(harness: Harness, people: list[Person], answers: int) -> None:
    """`answers` questions, every person a consented member, and an open round."""
    services = harness.services
    for person in people:
        person.user.started_bot = True  # they opened the chat during onboarding
    async with services.db.write() as session:
        await session.exec(update(Question).values(active=False))  # type: ignore[call-overload]
        for number in range(1, answers + 1):
            await round_store.add_question(
                session, text_de=f"Frage {number}?", text_en=None, position=number
            )
        session.add_all(
            Member(telegram_id=p.id, consent_at=utcnow(), display_name=p.name) for p in people
        )
        await session.commit()
    async with services.db.write() as session:
        opened = await rounds.open_round(
            session, services=services, now=utcnow(), duration=dt.timedelta(hours=1)
        )
        await session.commit()
    assert opened is not None
    services.outbox.wake()
    for person in people:  # every prompt delivered before the clock starts
        await person.wait_until(lambda p=person: len(p.messages) >= 1, "the prompt", 60)


async def measure_bot(server: SandboxServer, members: int, answers: int) -> float:
    with tempfile.TemporaryDirectory(prefix="alumni-bench-") as directory:
        settings = sandbox_settings(server, Path(directory) / "bench.db", checkin_schedule="")
        async with Harness(server, settings) as harness:
            people = [harness.world.user(f"Alumna{i}") for i in range(members)]
            await _prepare(harness, people, answers)
            elapsed = await _load(server, people, answers)
            async with harness.services.db.session() as session:
                stored = (await session.exec(select(func.count()).select_from(Answer))).one()
    if stored != members * answers:
        raise RuntimeError(f"only {stored} of {members * answers} answers were stored")
    return members * answers / elapsed


async def main(members: int, answers: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bot").setLevel(logging.WARNING)
    async with SandboxServer(limits=FAST_LIMITS) as server:
        echo = await measure_echo(server, members, answers)
    async with SandboxServer(limits=FAST_LIMITS) as server:
        ours = await measure_bot(server, members, answers)
    total = members * answers
    print(f"{members} members x {answers} answers = {total} messages through the sandbox")
    print(f"bare PTB echo bot : {echo:8.1f} messages/s")
    print(f"check-in answers  : {ours:8.1f} answers/s (all {total} committed before the reply)")
    print(f"ratio             : {ours / echo:8.2f} of echo (target >= 0.75)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--answers", type=int, default=10)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.answers))
