"""The demo's meetup scene: the alumni meet in Hamburg the evening before the MINT:Barcamp.

Dana announces the meetup with one line and a preview; the invitation reaches the alumni group
and each alumna privately, each with a calendar file; Anna says yes privately, Ben and Clara
answer with the buttons in the group, whose copy shows the new counts (edits of one message
are paced, so the clock moves on a few seconds); Dana looks at who comes. Then the bot's clock
runs on to the day before, stage by stage as a running bot lives through it, and the reminder
arrives once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.meetups.rules import Stage
from bot.meetups.stages import stages_for
from sandbox.driver import Group, Person
from sandbox.harness import Harness
from sandbox.server import SentMessage
from sandbox.transcript import Transcript
from storage import meetups as meetup_store
from storage.tables import Member

PLACE = "Hamburg, Körber-Stiftung"
TITLE = "Alumni-Treffen"
DESCRIPTION = "Drei Jahrgänge treffen sich im Vorfeld des 8. MINT:Barcamps am 16. September."
START, END = dt.time(18, 0), dt.time(21, 0)
# Every reminder (the first comes a week before) should still lie ahead when Dana announces.
AHEAD = dt.timedelta(days=8)
STAGE_WAIT_STEPS = 500  # of 20 ms


def meetup_day(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The next 15 September far enough ahead of the bot's clock (the demo runs in real time)."""
    year = now.astimezone(tz).year
    while dt.datetime.combine(dt.date(year, 9, 15), START, tzinfo=tz) - now < AHEAD:
        year += 1
    return dt.date(year, 9, 15)


async def scene(
    harness: Harness, transcript: Transcript, *, coordinator: Person, group: Group
) -> None:
    tz = harness.settings.tz
    day = meetup_day(harness.clock.now(), tz)
    starts_at = dt.datetime.combine(day, START, tzinfo=tz)
    command = (
        f"/meetup neu {day:%d.%m.%Y} {START:%H:%M}-{END:%H:%M} | {PLACE} | {TITLE} | {DESCRIPTION}"
    )
    anna, ben, clara = await _alumni(harness, "Anna", "Ben", "Clara")
    group.add(anna, ben, clara)  # they are in the alumni group (the bot needs no notice)

    transcript.scene("Dana announces the Hamburg meetup, after a preview")
    await transcript.say(coordinator, command)
    transcript.pressed(coordinator, "📣 Ankündigen")
    await coordinator.press("Ankündigen")
    done = await coordinator.expect("ist angekündigt", timeout=10)
    transcript.bot(coordinator, done)
    number = _number(done)

    transcript.scene("The invitation reaches the group and each alumna, with a calendar file")
    invitation = await group.expect("Einladung", TITLE, timeout=10)
    transcript.bot(group, invitation)
    _file(transcript, group, await group.expect("Kalender", timeout=10))
    private = await anna.expect("Einladung", TITLE, timeout=10)
    transcript.bot(anna, private)
    _file(transcript, anna, await anna.expect("Kalender", timeout=10))

    transcript.scene("Anna says yes privately; Ben and Clara answer in the group")
    await _answer(transcript, anna, "✅ Zusage", await anna.press("Zusage", message=private))
    await group.wait_until(lambda: "Zusagen: 1" in invitation.text, "the group's count")
    query = await group.press(ben, "Vielleicht", message=invitation)
    await _answer(transcript, ben, "🤔 Vielleicht", query, where="  (in the group)")
    query = await group.press(clara, "Absage", message=invitation)
    await _answer(transcript, clara, "❌ Absage", query, where="  (in the group)")
    # The group copy was edited for Anna's answer a moment ago: the next edit waits 5 s.
    await harness.clock.advance(harness.settings.meetup_edit_pace + dt.timedelta(seconds=1))
    await group.wait_until(
        lambda: "Vielleicht: 1" in invitation.text and "Absagen: 1" in invitation.text,
        "the group's counts",
        timeout=10,
    )
    _edited(transcript, group, invitation)

    transcript.scene("Dana looks at who is coming")
    transcript.said(coordinator, f"/meetup teilnehmer {number}")
    await coordinator.send(f"/meetup teilnehmer {number}")
    transcript.bot(coordinator, await coordinator.expect("Zusagen: Anna", timeout=10))

    transcript.scene("The day before: the reminder")
    # A running bot lives through each stage in turn (the week-before reminder, the pre-read):
    # one jump past them all would skip them as missed.
    for stage in await _stages(harness, number):
        if stage.due_at <= starts_at - dt.timedelta(days=1):
            await harness.clock.move_to(stage.due_at)
            await _stage_done(harness, number, stage.name)
    reminder = await anna.expect("Erinnerung", "24 Stunden", timeout=10)
    transcript.bot(anna, reminder)
    transcript.bot(group, await group.expect("⏰", "24 Stunden", timeout=10))
    assert [m for m in anna.messages if "24 Stunden" in m.text] == [reminder], "sent once"


async def _alumni(harness: Harness, *names: str) -> list[Person]:
    """The alumni with a profile, by first name (the sandbox may hold namesakes without one)."""
    async with harness.services.db.session() as session:
        members = (
            await session.exec(select(Member).where(col(Member.consent_at).is_not(None)))
        ).all()
    users = harness.server.users
    found = {
        member.display_name.split()[0]: Person(harness.world, users[member.telegram_id])
        for member in members
        if member.display_name and member.telegram_id in users
    }
    return [found[name] for name in names]


async def _stages(harness: Harness, number: int) -> list[Stage]:
    async with harness.services.db.session() as session:
        meetup = await meetup_store.get_meetup(session, meetup_id=number)
    assert meetup is not None
    return stages_for(harness.services, meetup)


async def _stage_done(harness: Harness, number: int, name: str) -> None:
    """The stage ran (its messages are queued; the reader's `expect` waits for them)."""
    for _ in range(STAGE_WAIT_STEPS):
        async with harness.services.db.session() as session:
            if name in await meetup_store.stages_done(session, meetup_id=number):
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"meetup {number}: stage {name} did not run")


def _number(announced: SentMessage) -> int:
    found = re.search(r"Nr\. (\d+)", announced.text)
    assert found is not None, announced.text
    return int(found[1])


def _edited(transcript: Transcript, chat: Group, message: SentMessage) -> None:
    transcript._block(f"Bot → {chat.label} (the invitation, edited):", message.text)
    if message.buttons:
        buttons = "  ".join(f"[{text}]" for text in message.button_texts)
        print("      " + buttons, file=transcript.out)


def _file(transcript: Transcript, chat: Person | Group, message: SentMessage) -> None:
    assert message.document is not None, message
    name = message.document["file_name"]
    transcript._block(f"Bot → {chat.label} (file {name}):", message.text)


async def _answer(
    transcript: Transcript, person: Person, button: str, query: str, *, where: str = ""
) -> None:
    transcript._block(f"{person.name} →", f"[{button}]{where}")
    toast = await person.callback_answer(query, timeout=10)
    transcript._block(f"Bot → {person.name} (toast):", str(toast.get("text", "")))
