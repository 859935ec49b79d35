"""Kill the bot with SIGKILL while members answer; count what was lost or sent twice.

    .venv/bin/python bench/crash.py [--members 40] [--kills 10] [--seed 1]

The bot runs as a separate process (`python -m bot run`) against a sandbox in this process,
on one SQLite file. Members answer the five check-in questions continuously; the bot is killed
at random moments (the first kill while the round's prompts go out, the last right after the
first digest part arrived) and started again on the same database. At the end it prints:
answers sent vs stored (lost), answers stored twice or under another question, prompts and
resumed questions sent twice, digest parts missing or posted twice. Nothing here is asserted:
it is a measurement, printed for a person to read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlmodel import select

from sandbox.driver import Person, World
from sandbox.limits import SandboxLimits
from sandbox.server import SandboxServer
from storage.db import Database
from storage.tables import Answer, Cohort, Member, RoundQuestion
from storage.types import utcnow

ROOT = Path(__file__).resolve().parent.parent
COORDINATOR_ID = 900_001
QUESTIONS = 5
WAIT = 90.0  # a member waits this long for the bot to come back before giving up
PART = re.compile(r"\((\d+)/(\d+)\)\s*$")


class Bot:
    """`python -m bot run` as a child process that can be killed and started again."""

    def __init__(self, sandbox: SandboxServer, database_url: str, log: Path) -> None:
        self.env = {
            **os.environ,
            "BOT_TOKEN": sandbox.token,
            "BOT_API_BASE_URL": sandbox.base_url,
            "DATABASE_URL": database_url,
            "COORDINATOR_IDS": str(COORDINATOR_ID),
            "CHECKIN_SCHEDULE": "",
            "CHECKIN_REMINDERS": "",
            "QUIET_HOURS": "",
            "SEND_RATE_PER_SECOND": "1000",
            "GROUP_MESSAGES_PER_MINUTE": "1000",
            "POLL_TIMEOUT": "2s",
            "REQUEST_TIMEOUT": "5s",
            "SEND_RETRY_BACKOFF": "1s",
            "LOG_LEVEL": "INFO",
        }
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        handle = self.log.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=self.env, stdout=handle, stderr=handle,
            cwd=ROOT,
        )  # fmt: skip
        handle.close()
        await asyncio.sleep(0.3)
        if self.process.returncode is not None:
            raise SystemExit(f"the bot did not start:\n{self.log.read_text()[-2000:]}")

    async def ready(self, sandbox: SandboxServer, polls_before: int) -> None:
        """Until the new process asks for updates (it is taking them from then on)."""
        await sandbox.wait_for(lambda: sandbox._poll_generation > polls_before, 30)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), 20)


async def _seed(database_url: str, people: list[Person]) -> None:
    db = Database(database_url)
    await db.migrate()
    async with db.write() as session:
        cohort = Cohort(name="Jahrgang 2023")
        session.add(cohort)
        await session.flush()
        for person in people:
            session.add(
                Member(
                    telegram_id=person.id,
                    language="de",
                    display_name=person.name,
                    region=f"MINT-Region {person.name}",
                    cohort_id=cohort.id,
                    consent_at=utcnow(),
                )
            )
        await session.commit()
    await db.close()


async def _until(person: Person, start: int, wanted: list[str], timeout: float) -> int | None:
    """Index of the first message from `start` on that contains any of `wanted`."""

    def found() -> int | None:
        for index in range(start, len(person.messages)):
            if any(needle in person.messages[index].text for needle in wanted):
                return index
        return None

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        index = found()
        if index is not None:
            return index
        await asyncio.sleep(0.05)
    return None


async def _answer_all(person: Person, sent: list[tuple[int, int, str]], rng: random.Random) -> bool:
    """Answer questions 1..5 as they come, never typing an answer twice."""
    cursor = 0
    for number in range(1, QUESTIONS + 1):
        asked = await _until(person, cursor, [f"Frage {number} von {QUESTIONS}"], WAIT)
        if asked is None:
            return False
        await asyncio.sleep(rng.uniform(0.5, 3.0))  # people type; kills land mid-check-in
        text = f"{person.name} zu Frage {number}: " + "Wir bauen Honorarkräfte auf. " * 3
        sent.append((person.id, number, text.strip()))
        await person.send(text)
        following = (
            [f"Frage {number + 1} von {QUESTIONS}"] if number < QUESTIONS else ["Deine Antworten"]
        )
        confirmed = await _until(
            person, asked + 1, [f"Gespeichert als Antwort auf Frage {number}", *following], WAIT
        )
        if confirmed is None:
            return False
        cursor = confirmed
    return True


async def main(members: int, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix="crash-bench-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'alumni.db'}"
    limits = SandboxLimits(
        messages_per_second=10_000,
        group_messages_per_minute=10_000,
        private_chat_messages_per_second=0,  # replies to answers are not paced
    )
    async with SandboxServer(limits=limits) as sandbox:
        world = World(sandbox)
        people = [world.user(f"Alum{i:02d}") for i in range(members)]
        for person in people:
            person.user.started_bot = True
        coordinator = Person(world, sandbox.create_user("Kim", user_id=COORDINATOR_ID))
        coordinator.user.started_bot = True
        await _seed(database_url, people)
        bot = Bot(sandbox, database_url, workdir / "bot.log")
        await bot.start()

        started = time.monotonic()
        await coordinator.send("/round open 3d")
        kills_done = 0
        # First kill while the round's prompts go out.
        await asyncio.sleep(rng.uniform(0.9, 1.6))
        await bot.kill()
        kills_done += 1
        await _restart(bot, sandbox)

        sent: list[tuple[int, int, str]] = []
        answering = [asyncio.create_task(_answer_all(p, sent, rng)) for p in people]
        await sandbox.wait_for(lambda: bool(sent), WAIT)
        while kills_done < kills - 1 and not all(task.done() for task in answering):
            await asyncio.sleep(rng.uniform(0.5, 3.0))  # die at a random moment mid-check-in
            await bot.kill()
            kills_done += 1
            await _restart(bot, sandbox)
        finished = await asyncio.gather(*answering)

        # The digest: killed right after its first part reached the coordinator.
        seen = len(coordinator.messages)
        await coordinator.send("/round close")
        first_part = await _until(coordinator, seen, ["(1/"], WAIT)
        if first_part is not None:
            await bot.kill()
            kills_done += 1
            await _restart(bot, sandbox)
        await asyncio.sleep(5)  # let the restarted bot deliver the rest
        await bot.stop()
        elapsed = time.monotonic() - started

        db = Database(database_url)
        async with db.session() as session:
            stored = (await session.exec(select(Answer, RoundQuestion, Member).join(
                RoundQuestion, RoundQuestion.id == Answer.round_question_id).join(
                Member, Member.id == Answer.member_id))).all()  # fmt: skip
        await db.close()

    stored_texts = Counter(answer.text for answer, _, _ in stored)
    placed = {(member.telegram_id, rq.position, answer.text) for answer, rq, member in stored}
    sent_texts = {text for _, _, text in sent}
    lost = sent_texts - set(stored_texts)
    twice = sum(1 for count in stored_texts.values() if count > 1)
    misplaced = sum(1 for item in sent if item[2] in stored_texts and item not in placed)
    prompts_twice = sum(1 for p in people if _count(p, "1. Austauschrunde läuft") > 1)
    resumed = Counter(
        (person.id, match.group(1))
        for person in people
        for message in person.messages
        if "Ich war kurz weg" in message.text
        for match in [re.search(r"Frage (\d+) von", message.text)]
        if match is not None
    )
    resumed_twice = sum(1 for count in resumed.values() if count > 1)
    parts = Counter(
        match.groups()
        for message in coordinator.messages
        if "Digest Runde" in message.text or PART.search(message.text)
        for match in [PART.search(message.text)]
        if match is not None
    )
    total = max((int(total) for _, total in parts), default=0)
    missing = sum(1 for k in range(1, total + 1) if (str(k), str(total)) not in parts)
    doubled = sum(count - 1 for count in parts.values() if count > 1)
    print(f"members {members}, kills {kills_done}, bot starts {bot.starts}, {elapsed:.0f} s")
    print(f"members who finished all {QUESTIONS} answers: {sum(finished)} of {members}")
    print(
        f"answers sent {len(sent_texts)}, stored {len(stored_texts)}, lost {len(lost)} (target 0)"
    )
    print(f"answers stored twice {twice}, under another question {misplaced} (target 0)")
    print(f"prompts sent twice {prompts_twice} (target 0)")
    print(f"questions resumed after a kill {sum(resumed.values())}, same twice {resumed_twice}")
    print(f"digest parts to the coordinator: {total}, missing {missing}, twice {doubled} (0)")
    print(f"bot log: {workdir / 'bot.log'}")


async def _restart(bot: Bot, sandbox: SandboxServer) -> None:
    polls = sandbox._poll_generation
    await bot.start()
    await bot.ready(sandbox, polls)


def _count(person: Person, needle: str) -> int:
    return sum(needle in message.text for message in person.messages)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.members, args.kills, args.seed))
