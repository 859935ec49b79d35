"""Benchmark: one message to each of 1,000 members through the outbox, under Telegram's limits.

    .venv/bin/python bench/broadcast.py [--members 1000] [--rate 80]

The sandbox enforces an overall rate R (scaled from Telegram's 30/s so a run takes seconds;
the default 80/s stays below what the outbox itself manages here, 100-170/s: two committed
transactions per message, which its crash guarantees need) and Telegram's per-private-chat
limit (a burst of 3, then 1/s). The real bot (Application via the sandbox harness, settings at
R) delivers one queued message to every member. Three runs:
1. baseline: a bare PTB `Bot` with the same rate limiter sends the same messages directly
   (no outbox, no database): what the limit allows a client that does nothing else;
2. the outbox, clean;
3. the outbox with faults: per 100 messages accepted one injected 429, two 5xx and one call
   that hangs past the request timeout, and 5% of the members blocked the bot (unreachable,
   not lost).
Printed: achieved rate ÷ R (target >= 0.95 clean; messages over the seconds from the wake-up
to the last settled row, so a windowed client's first-second burst can put it just above 1),
messages lost (a reachable member got none; target 0), duplicates (target 0), the 429s the
sandbox answered, and ratios against the baseline and the clean run. The broadcast rows are
queued by `enqueue_broadcast` directly; once the `/broadcast` command exists, that one
function can switch to it. Not run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, func, select
from telegram.ext import ExtBot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.outbox import message_payload
from bot.services import Services
from handlers.app import rate_limiter
from sandbox.driver import Person, World
from sandbox.harness import Harness, sandbox_settings
from sandbox.limits import SandboxLimits
from sandbox.server import SandboxServer
from storage.tables import DeliveryStatus, Member, OutboxMessage
from storage.types import utcnow

KEY_PREFIX = "bench:broadcast:"
BLOCKED_SHARE = 0.05
FAULTS_EVERY = 100  # messages: so 1% 429s, 2% 5xx, 1% timeouts
TEXT = "Alumni-Treffen in Hamburg am Vorabend des MINT:Barcamps – bist du dabei?"


@dataclass
class Result:
    label: str
    seconds: float
    delivered: int
    lost: int
    duplicates: int
    unreachable: int
    refusals: dict[str, int]

    def rate(self) -> float:
        return self.delivered / self.seconds


def limits(rate: int) -> SandboxLimits:
    return SandboxLimits(messages_per_second=rate)  # per-chat limit: Telegram's default


def bench_settings(server: SandboxServer, path: Path, rate: int) -> Settings:
    return sandbox_settings(
        server,
        path,
        checkin_schedule="",
        send_rate_per_second=rate,
        send_chat_interval=dt.timedelta(seconds=1),
        send_chat_burst=3,
        # A hung call is given up after 1 s (Telegram's answer lost): short, so the run is too.
        request_timeout=dt.timedelta(seconds=1),
        send_retry_backoff=dt.timedelta(milliseconds=200),
    )


def count(
    server: SandboxServer, people: Sequence[Person], blocked: set[int], label: str, seconds: float
) -> Result:
    received = [len(server.sent_to(person.id)) for person in people]
    reachable = [n for person, n in zip(people, received, strict=True) if person.id not in blocked]
    return Result(
        label=label,
        seconds=seconds,
        delivered=sum(received),
        lost=sum(1 for n in reachable if n == 0),
        duplicates=sum(n - 1 for n in received if n > 1),
        unreachable=len(blocked),
        refusals=dict(server.flood_log.by_reason()),
    )


# ------------------------------------------------------------------ baseline: a bare client


async def measure_baseline(members: int, rate: int) -> Result:
    async with SandboxServer(limits=limits(rate)) as server:
        people = _people(server, members)
        # Only the limiter is taken from these settings; no database is opened.
        settings = bench_settings(server, Path(tempfile.gettempdir()) / "unused.db", rate)
        bot = ExtBot(server.token, base_url=server.base_url, rate_limiter=rate_limiter(settings))
        async with bot:
            gate = asyncio.Semaphore(8)  # as many at a time as the outbox sends

            async def send(person: Person) -> None:
                async with gate:
                    await bot.send_message(person.id, TEXT)

            started = time.perf_counter()
            await asyncio.gather(*(send(person) for person in people))
            seconds = time.perf_counter() - started
        return count(server, people, set(), "baseline (bare PTB, same limiter)", seconds)


def _people(server: SandboxServer, members: int) -> list[Person]:
    world = World(server)
    people = [world.user(f"Alum{n:04d}") for n in range(members)]
    for person in people:
        person.user.started_bot = True  # they opened the chat during onboarding
    return people


# ------------------------------------------------------------------ the bot, through the outbox


async def enqueue_broadcast(services: Services, run: int, member_ids: Sequence[int]) -> None:
    """Queue one message per member, as the `/broadcast` command will (switch to it here)."""
    async with services.db.write() as session:
        for telegram_id in member_ids:
            await services.outbox.enqueue(
                session,
                key=f"{KEY_PREFIX}{run}:member:{telegram_id}",
                chat_id=telegram_id,
                payload=message_payload(TEXT),
            )
        await session.commit()
    services.outbox.wake()


async def _seed(services: Services, people: Sequence[Person]) -> None:
    async with services.db.write() as session:
        session.add_all(
            Member(telegram_id=p.id, consent_at=utcnow(), display_name=p.name) for p in people
        )
        await session.commit()


async def _settled(services: Services, run: int) -> None:
    """Until every row of the run has its final outcome."""
    busy = [DeliveryStatus.PENDING, DeliveryStatus.RESERVED, DeliveryStatus.SENDING]
    while True:
        async with services.db.session() as session:
            left = (
                await session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(
                        col(OutboxMessage.purpose_key).startswith(f"{KEY_PREFIX}{run}:"),
                        col(OutboxMessage.status).in_(busy),
                    )
                )
            ).one()
        if left == 0:
            return
        await asyncio.sleep(0.05)


async def _inject_faults(server: SandboxServer, every: int) -> None:
    """Per `every` messages the sandbox accepts, one 429, two 5xx and one call that hangs past
    the request timeout, until cancelled. Tied to progress, not time: the last few retries of
    a run are not fed a fault each."""
    due = every
    while True:
        await server.wait_for(lambda d=due: len(server.flood_log.accepted) >= d, 3600)
        server.fail_next(status=429, retry_after=1, methods={"sendMessage"})
        server.fail_next(2, status=502, description="Bad Gateway", methods={"sendMessage"})
        server.hang_next(methods={"sendMessage"})
        due += every


async def measure_outbox(members: int, rate: int, *, faults: bool, seed: int = 1) -> Result:
    async with SandboxServer(limits=limits(rate), hang_seconds=2) as server:
        people = _people(server, members)
        blocked: set[int] = set()
        if faults:
            for person in random.Random(seed).sample(people, int(members * BLOCKED_SHARE)):
                person.user.blocked_bot = True
                blocked.add(person.id)
        with tempfile.TemporaryDirectory(prefix="alumni-bench-") as directory:
            settings = bench_settings(server, Path(directory) / "bench.db", rate)
            async with Harness(server, settings) as harness:
                services = harness.services
                # A broadcast whose answer was lost is sent again: better twice than never.
                services.outbox.at_least_once.add(KEY_PREFIX)
                await _seed(services, people)
                injector = (
                    asyncio.create_task(_inject_faults(server, FAULTS_EVERY)) if faults else None
                )
                queued = time.perf_counter()
                await enqueue_broadcast(services, 1, [person.id for person in people])
                started = time.perf_counter()  # from the wake-up: the delivery, not the queuing
                await _settled(services, 1)
                seconds = time.perf_counter() - started
                print(f"  (queued {members} rows in {started - queued:.2f}s)", file=sys.stderr)
                if injector is not None:
                    injector.cancel()
        label = "outbox, with faults" if faults else "outbox, clean"
        return count(server, people, blocked, label, seconds)


def report(result: Result, rate: int, *, against: Result, against_label: str) -> None:
    refusals = ", ".join(f"{k}={v}" for k, v in sorted(result.refusals.items())) or "none"
    print(f"{result.label}:")
    print(f"  {result.delivered} delivered in {result.seconds:.2f}s = {result.rate():.1f}/s")
    print(f"  achieved rate / R        : {result.rate() / rate:6.3f}")
    print(f"  ratio to {against_label:<16}: {result.rate() / against.rate():6.3f}")
    print(f"  lost / duplicates        : {result.lost} / {result.duplicates}")
    print(f"  unreachable (blocked)    : {result.unreachable}")
    print(f"  429s answered            : {sum(result.refusals.values())} ({refusals})")


async def main(members: int, rate: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    baseline = await measure_baseline(members, rate)
    clean = await measure_outbox(members, rate, faults=False)
    faulty = await measure_outbox(members, rate, faults=True)
    print(f"{members} members, one message each; sandbox R = {rate}/s, 3 then 1/s per chat")
    report(baseline, rate, against=baseline, against_label="baseline")
    report(clean, rate, against=baseline, against_label="baseline")
    report(faulty, rate, against=clean, against_label="clean run")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=80)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.rate))
