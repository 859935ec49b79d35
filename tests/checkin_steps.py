"""Steps the check-in and round tests share: a coordinator, opening a round, reading the DB."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from zoneinfo import ZoneInfo

import factories
from sqlmodel import col, select

from sandbox.driver import Person
from sandbox.harness import Harness
from storage.tables import Answer, Member, OutboxMessage, Participation, Round, RoundQuestion

DEFAULT_QUESTION_COUNT = 5


async def coordinator(bot: Harness, name: str = "Kim") -> Person:
    """A coordinator who does not take part in rounds herself (no consent stored)."""
    person = bot.world.user(name)
    await factories.member(bot, person, coordinator=True, consented=False, cohort_name=None)
    return person


async def open_round(bot: Harness, by: Person, duration: str = "1h") -> Round:
    await by.send(f"/round open {duration}")
    await by.expect("ist offen bis")
    current = await only_open_round(bot)
    assert current is not None
    return current


async def only_open_round(bot: Harness) -> Round | None:
    async with bot.services.db.session() as session:
        rows = (await session.exec(select(Round).where(Round.status == "open"))).all()
    assert len(rows) <= 1, "more than one round is open"
    return rows[0] if rows else None


async def rounds(bot: Harness) -> Sequence[Round]:
    async with bot.services.db.session() as session:
        return (await session.exec(select(Round).order_by(col(Round.number)))).all()


async def member_row(bot: Harness, person: Person) -> Member:
    async with bot.services.db.session() as session:
        row = (await session.exec(select(Member).where(Member.telegram_id == person.id))).one()
    return row


async def answers(bot: Harness, person: Person) -> list[tuple[int, str | None, Answer]]:
    """(question position, text, row) of the person's answers, in question order."""
    member = await member_row(bot, person)
    async with bot.services.db.session() as session:
        rows = (
            await session.exec(
                select(Answer, RoundQuestion)
                .join(RoundQuestion, col(RoundQuestion.id) == col(Answer.round_question_id))
                .where(Answer.member_id == member.id)
                .order_by(col(RoundQuestion.position))
            )
        ).all()
    return [(rq.position, answer.text, answer) for answer, rq in rows]


async def participation(bot: Harness, person: Person) -> Participation | None:
    member = await member_row(bot, person)
    async with bot.services.db.session() as session:
        return (
            await session.exec(select(Participation).where(Participation.member_id == member.id))
        ).first()


async def outbox(bot: Harness, prefix: str = "checkin:") -> Sequence[OutboxMessage]:
    async with bot.services.db.session() as session:
        return (
            await session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.purpose_key).startswith(prefix))
                .order_by(col(OutboxMessage.id))
            )
        ).all()


def count(person: Person, needle: str) -> int:
    """How many messages the bot sent the person that contain `needle`."""
    return sum(needle.casefold() in message.text.casefold() for message in person.messages)


async def answer_all(person: Person, texts: Sequence[str]) -> None:
    """Answer the questions one after the other, waiting for each confirmation."""
    for index, text in enumerate(texts, 1):
        await person.send(text)
        if index < DEFAULT_QUESTION_COUNT:
            await person.expect("Gespeichert", f"Frage {index + 1} von")
        else:
            await person.expect("Deine Antworten in Runde")


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 5) -> None:
    """Wait for a database state that no message announces (a round closing on its own)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        await asyncio.sleep(0.02)


def next_local_time(bot: Harness, hour: int, minute: int = 0) -> dt.datetime:
    """The next moment after the bot's "now" at that wall time in its time zone (UTC)."""
    local = bot.clock.now().astimezone(bot.settings.tz)
    moment = dt.datetime.combine(local.date(), dt.time(hour, minute), tzinfo=bot.settings.tz)
    if moment <= local:
        moment = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), dt.time(hour, minute), tzinfo=bot.settings.tz
        )
    return moment.astimezone(dt.UTC)


async def quiet_evening(bot: Harness) -> None:
    """Move the bot's clock to 21:00 local time, inside the quiet hours 20:00-08:00."""
    await bot.clock.move_to(next_local_time(bot, 21))


QUIET_HOURS = "20:00-08:00"


def cron_at(moment: dt.datetime, tz: str = "Europe/Berlin") -> str:
    """A six-field cron expression (seconds last) that fires at `moment`, to the second."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local.minute} {local.hour} {local.day} {local.month} * {local.second}"
