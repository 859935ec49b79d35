"""Benchmark: a `/broadcast` to 1,000 members, under Telegram's limits.

    .venv/bin/python bench/broadcast.py [--members 1000] [--rate 80]

The sandbox enforces an overall rate R (scaled from Telegram's 30/s so a run takes seconds;
the default 80/s stays below what the outbox itself manages here, 100-170/s: two committed
transactions per message, which its crash guarantees need) and Telegram's per-private-chat
limit (a burst of 3, then 1/s). The real bot (Application via the sandbox harness, settings at
R) delivers the broadcast as a coordinator would start it: `/broadcast Text` in private, the
preview, "Senden"; one outbox row per recipient, then the coordinator's delivery report once
every row is settled. The members are created directly in the database. Three runs:
1. baseline: a bare PTB `Bot` with the same rate limiter sends the same messages directly
   (no outbox, no database): what the limit allows a client that does nothing else;
2. the broadcast, clean;
3. the broadcast with faults: per 100 messages accepted one injected 429, two 5xx and one call
   that hangs past the request timeout (injected mid-way through each hundred, so that none is
   left over for the coordinator's report), and 5% of the members blocked the bot.

Broadcasts are delivered at most once: a copy whose call timed out is marked failed ("may have
arrived, not repeated") and never sent again. So each member is counted as: delivered exactly
once, unreachable (blocked), failed-uncertain (timed out; the sandbox's log says whether it
arrived anyway), failed other, or lost (got nothing and is not in the report as unreachable or
failed; target 0); duplicates are counted on top (target 0).

Printed: achieved rate ÷ R (target >= 0.95 clean; messages that arrived over the seconds from
the first copy to the last settled row, so a windowed client's first-second burst can put it
just above 1), the counts above, the 429s, 5xx and timeouts the sandbox answered, the ratios
against the baseline and the clean run, and the delivery report's numbers (and those of
`/broadcast status`) next to the sandbox's own: which members got the text, which calls it
refused with 403. Nothing is asserted. Not run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import random
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from sqlmodel import select
from telegram.ext import ExtBot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.purpose_keys import BroadcastKey
from bot.services import Services
from handlers.app import rate_limiter
from sandbox.driver import Person, World
from sandbox.harness import Harness, sandbox_settings
from sandbox.limits import SandboxLimits
from sandbox.server import SandboxServer
from storage import broadcasts as broadcast_store
from storage.tables import BroadcastStatus, DeliveryStatus, Member, OutboxMessage
from storage.types import utcnow

COORDINATOR_ID = 900_001  # in COORDINATOR_IDS; not a member, so not a recipient
BLOCKED_SHARE = 0.05
FAULTS_EVERY = 100  # messages: so 1% 429s, 2% 5xx, 1% timeouts
TEXT = "Alumni-Treffen in Hamburg am Vorabend des MINT:Barcamps – bist du dabei?"
# What the outbox writes into a row it gave up on because its call's answer was lost.
UNCERTAIN = "may have arrived"


@dataclass(frozen=True)
class Counts:
    """A delivery report's numbers, or the same numbers as the sandbox's log has them."""

    recipients: int | None
    delivered: int | None
    unreachable: int | None
    failed: int | None

    def __str__(self) -> str:
        return "  ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))

    def differs(self, other: Counts) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


@dataclass
class Result:
    label: str
    seconds: float
    arrived: int  # messages that arrived, duplicates included
    once: int  # members who got it exactly once
    duplicates: int  # copies beyond the first
    lost: int
    refusals: dict[str, int]  # 429s by reason
    server_errors: int  # 5xx answered (not counting a hang's late 504)
    timeouts: int  # calls that hung until the bot gave up
    # Only for the bot's runs (None: the baseline has no such thing).
    unreachable: int | None = None
    uncertain_arrived: int | None = None
    uncertain_missing: int | None = None
    failed_other: int | None = None
    report: Counts | None = None
    status: Counts | None = None  # `/broadcast status` after the report
    seen: Counts | None = None  # the sandbox's log
    queuing: float | None = None  # "Senden" pressed -> first copy accepted

    def rate(self) -> float:
        return self.arrived / self.seconds


def limits(rate: int) -> SandboxLimits:
    return SandboxLimits(messages_per_second=rate)  # per-chat limit: Telegram's default


def bench_settings(server: SandboxServer, path: Path, rate: int) -> Settings:
    return sandbox_settings(
        server,
        path,
        checkin_schedule="",
        coordinator_ids=[COORDINATOR_ID],
        send_rate_per_second=rate,
        send_chat_interval=dt.timedelta(seconds=1),
        send_chat_burst=3,
        # A hung call is given up after 1 s (Telegram's answer lost): short, so the run is too.
        request_timeout=dt.timedelta(seconds=1),
        send_retry_backoff=dt.timedelta(milliseconds=200),
    )


def arrivals(server: SandboxServer, people: Sequence[Person]) -> dict[int, int]:
    """How often the broadcast text arrived in each member's chat (the sandbox's record)."""
    return {person.id: sum(m.text == TEXT for m in server.sent_to(person.id)) for person in people}


def answered(server: SandboxServer, code: int | None = None, *, at_least: int = 0) -> int:
    """sendMessage calls the sandbox answered with `code` (or any code >= `at_least`)."""
    return sum(
        error.code == code if code is not None else error.code >= at_least
        for method, error in server.rejected
        if method == "sendMessage"
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
        received = arrivals(server, people)
        return Result(
            label="baseline (bare PTB, same limiter)",
            seconds=seconds,
            arrived=sum(received.values()),
            once=sum(n == 1 for n in received.values()),
            duplicates=sum(n - 1 for n in received.values() if n > 1),
            lost=sum(n == 0 for n in received.values()),
            refusals=dict(server.flood_log.by_reason()),
            server_errors=answered(server, at_least=500),
            timeouts=0,
        )


def _people(server: SandboxServer, members: int) -> list[Person]:
    world = World(server)
    people = [world.user(f"Alum{n:04d}") for n in range(members)]
    for person in people:
        person.user.started_bot = True  # they opened the chat during onboarding
    return people


# ------------------------------------------------------------------ the bot: /broadcast


async def _seed(services: Services, people: Sequence[Person]) -> dict[int, int]:
    """The members, straight into the database; returns member id -> Telegram id."""
    async with services.db.write() as session:
        session.add_all(
            Member(telegram_id=p.id, consent_at=utcnow(), display_name=p.name) for p in people
        )
        await session.commit()
    async with services.db.session() as session:
        rows = (await session.exec(select(Member))).all()
    return {member.id: member.telegram_id for member in rows if member.id is not None}


async def start_broadcast(coordinator: Person, members: int) -> tuple[int, float]:
    """`/broadcast Text` in private, the preview, "Senden": as a coordinator does it.
    Returns the broadcast's number and when "Senden" was pressed (monotonic seconds)."""
    await coordinator.send(f"/broadcast {TEXT}")
    summary = await coordinator.expect("Vorschau von Rundnachricht", f"An: {members} Alumni")
    found = re.search(r"Rundnachricht #(\d+)", summary.text)
    if found is None:
        raise RuntimeError(f"no broadcast number in the preview: {summary.text!r}")
    pressed = time.monotonic()
    await coordinator.press("Senden", message=summary)
    return int(found[1]), pressed


async def _settled(services: Services, broadcast_id: int) -> None:
    """Until "Senden" has queued the copies and every one of them has its final outcome."""
    prefix = BroadcastKey.recipients_prefix(broadcast_id)
    confirmed = False
    while True:
        await asyncio.sleep(0.05)  # cheap: the bot shares this process and its database
        async with services.db.session() as session:
            if not confirmed:
                broadcast = await broadcast_store.get_broadcast(session, broadcast_id=broadcast_id)
                confirmed = broadcast is not None and broadcast.status == BroadcastStatus.CONFIRMED
            if confirmed and not await broadcast_store.unsettled_count(session, prefix=prefix):
                return


async def _copies(services: Services, broadcast_id: int) -> list[OutboxMessage]:
    prefix = BroadcastKey.recipients_prefix(broadcast_id)
    async with services.db.session() as session:
        return list(await broadcast_store.copies(session, prefix=prefix))


def _number(text: str, pattern: str) -> int | None:
    found = re.search(pattern, text)
    return int(found[1]) if found else None


def read_report(text: str) -> Counts:
    """The numbers of a delivery report or status as the coordinator reads them (German)."""
    return Counts(
        recipients=_number(text, r"An (\d+) Alumni"),
        delivered=_number(text, r"zugestellt: (\d+)"),
        unreachable=_number(text, r"nicht erreichbar[^:]*: (\d+)"),
        failed=_number(text, r"fehlgeschlagen[^:]*: (\d+)"),
    )


async def _inject_faults(server: SandboxServer, members: int, every: int) -> None:
    """Per `every` messages the sandbox accepts, one 429, two 5xx and one call that hangs past
    the request timeout. Tied to progress, not time, and placed mid-way through each `every`,
    none later than a quarter of `every` before the last copy: faults left over once the
    copies are out would hit the coordinator's report, whose timeout (at most once, like every
    copy) would leave the coordinator without one."""
    for due in range(every // 2, members - every // 4, every):

        def reached(count: int = due) -> bool:
            return len(server.flood_log.accepted) >= count

        await server.wait_for(reached, 3600)
        server.fail_next(status=429, retry_after=1, methods={"sendMessage"})
        server.fail_next(2, status=502, description="Bad Gateway", methods={"sendMessage"})
        server.hang_next(methods={"sendMessage"})


async def measure_bot(members: int, rate: int, *, faults: bool, seed: int = 1) -> Result:
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
                telegram_ids = await _seed(services, people)
                coordinator = Person(
                    harness.world, server.create_user("Carla", user_id=COORDINATOR_ID)
                )
                injector = (
                    asyncio.create_task(_inject_faults(server, members, FAULTS_EVERY))
                    if faults
                    else None
                )
                broadcast_id, pressed = await start_broadcast(coordinator, members)
                await _settled(services, broadcast_id)
                finished = time.monotonic()
                if injector is not None:
                    injector.cancel()
                wait = 60 + 10 * members / rate
                report = await coordinator.expect(
                    f"Zustellbericht für Rundnachricht #{broadcast_id}", timeout=wait
                )
                await coordinator.send(f"/broadcast status {broadcast_id}")
                status = await coordinator.expect(f"Stand von Rundnachricht #{broadcast_id}")
                rows = await _copies(services, broadcast_id)
                resent = services.outbox.at_least_once
                if any(row.purpose_key.startswith(tuple(resent)) for row in rows[:1]):
                    print("  NOTE: broadcast copies are registered at-least-once", file=sys.stderr)
            # Calls still hanging end now, so the sandbox's log of 504s is complete.
            server.release_hangs()
            await asyncio.sleep(0.1)
        people_ids = set(telegram_ids.values())
        first = min(
            (at for at, chat in server.flood_log.accepted if chat in people_ids and at >= pressed),
            default=pressed,
        )
        result = tally(server, people, telegram_ids, rows, blocked, finished - first)
        result.label = "/broadcast, with faults" if faults else "/broadcast, clean"
        result.queuing = first - pressed
        result.report, result.status = read_report(report.text), read_report(status.text)
        result.seen = _sandbox_counts(server, people)
        return result


def tally(
    server: SandboxServer,
    people: Sequence[Person],
    telegram_ids: dict[int, int],
    rows: Sequence[OutboxMessage],
    blocked: set[int],
    seconds: float,
) -> Result:
    """Each member's outcome: the bot's row for them next to what the sandbox delivered."""
    received = arrivals(server, people)
    status_of: dict[int, OutboxMessage] = {}
    for row in rows:
        key = BroadcastKey.decode(row.purpose_key)
        if key is not None and key.member_id is not None and key.member_id in telegram_ids:
            status_of[telegram_ids[key.member_id]] = row
    once = unreachable = uncertain_arrived = uncertain_missing = failed_other = lost = 0
    for person in people:
        got, copy = received[person.id], status_of.get(person.id)
        status, error = (copy.status, copy.error or "") if copy is not None else (None, "")
        uncertain = status == DeliveryStatus.FAILED and UNCERTAIN in error
        once += got == 1
        if status == DeliveryStatus.UNREACHABLE:
            unreachable += 1
        elif uncertain:
            uncertain_arrived += got > 0
            uncertain_missing += got == 0
        elif status == DeliveryStatus.FAILED:
            failed_other += 1
        elif got == 0:
            lost += 1  # nothing arrived, and the report does not say so
    if unreachable_not_blocked := sum(
        status_of[p].status == DeliveryStatus.UNREACHABLE and p not in blocked for p in status_of
    ):
        print(f"  NOTE: {unreachable_not_blocked} marked unreachable not blocked", file=sys.stderr)
    return Result(
        label="",
        seconds=seconds,
        arrived=sum(received.values()),
        once=once,
        duplicates=sum(n - 1 for n in received.values() if n > 1),
        lost=lost,
        refusals=dict(server.flood_log.by_reason()),
        server_errors=answered(server, at_least=500) - answered(server, 504),
        timeouts=answered(server, 504),
        unreachable=unreachable,
        uncertain_arrived=uncertain_arrived,
        uncertain_missing=uncertain_missing,
        failed_other=failed_other,
    )


def _sandbox_counts(server: SandboxServer, people: Sequence[Person]) -> Counts:
    """The report's numbers as the sandbox saw them: the members' chats the bot called
    sendMessage for, those the text arrived in, the 403s it answered (only members are
    blocked), and the rest: tried, but neither delivered nor refused for good."""
    ids = {person.id for person in people}
    tried = {
        int(params["chat_id"])
        for method, params in server.calls
        if method == "sendMessage" and str(params.get("chat_id", "")).lstrip("-").isdigit()
    }
    recipients = len(tried & ids)
    delivered = sum(n > 0 for n in arrivals(server, people).values())
    unreachable = answered(server, 403)
    return Counts(recipients, delivered, unreachable, recipients - delivered - unreachable)


# ------------------------------------------------------------------ printing


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def report(results: list[Result], rate: int, members: int) -> None:
    baseline, clean = results[0], results[1]
    print(f"{members} members, one message each; sandbox R = {rate}/s, 3 then 1/s per chat")

    def line(name: str, values: Sequence[object]) -> None:
        print(f"  {name:<34}" + "".join(f"{_cell(v):>14}" for v in values))

    line("", ["baseline", "clean", "faults"])
    line("seconds (first copy -> last settled)", [f"{r.seconds:.2f}" for r in results])
    line("messages arrived", [r.arrived for r in results])
    line("rate /s", [f"{r.rate():.1f}" for r in results])
    line("achieved rate / R", [r.rate() / rate for r in results])
    line("ratio to baseline", [r.rate() / baseline.rate() for r in results])
    line("ratio to clean run", [None, None, results[2].rate() / clean.rate()])
    line("delivered exactly once (sandbox)", [r.once for r in results])
    line("duplicates", [r.duplicates for r in results])
    line("unreachable (blocked)", [r.unreachable for r in results])
    line(
        "failed-uncertain: arrived / not",
        [
            None
            if r.uncertain_arrived is None
            else f"{r.uncertain_arrived} / {r.uncertain_missing}"
            for r in results
        ],
    )
    line("failed, other", [r.failed_other for r in results])
    line("lost", [r.lost for r in results])
    line("429s answered", [sum(r.refusals.values()) for r in results])
    line("5xx answered / timed-out calls", [f"{r.server_errors} / {r.timeouts}" for r in results])
    line("Senden -> first copy (s)", [r.queuing for r in results])
    for result in results:
        refusals = ", ".join(f"{k}={v}" for k, v in sorted(result.refusals.items())) or "none"
        print(f"{result.label}: 429s by reason: {refusals}")
        if result.report is None or result.seen is None or result.status is None:
            continue
        differs = result.report.differs(result.seen)
        print(f"  delivery report : {result.report}")
        print(f"  sandbox's log   : {result.seen}")
        verdict = "yes" if not differs else f"NO ({', '.join(differs)} differ)"
        print(f"  report matches the sandbox: {verdict}")
        same = "same as the report" if result.status == result.report else "DIFFERS"
        print(f"  /broadcast status: {result.status} ({same})")


async def main(members: int, rate: int) -> None:
    logging.basicConfig(level=logging.ERROR)
    baseline = await measure_baseline(members, rate)
    clean = await measure_bot(members, rate, faults=False)
    faulty = await measure_bot(members, rate, faults=True)
    report([baseline, clean, faulty], rate, members)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=80)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.rate))
