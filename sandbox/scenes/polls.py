"""The demo's poll scene: the alumni choose the topic of the next exchange.

Dana asks in the alumni group with one line; the alumni who have a profile vote (one changes
her mind); Dana looks at the interim result privately; three days later the poll closes by
itself and the result is posted in the group, once.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from sandbox.driver import Group, Person
from sandbox.harness import Harness
from sandbox.transcript import Transcript
from storage.tables import Member

QUESTION = "Welches Thema nehmen wir beim nächsten Austausch?"
OPTIONS = ("Honorarkräfte gewinnen", "Eltern erreichen", "Social Media", "Mädchenprojekte")
COMMAND = f"/poll {QUESTION} | " + " | ".join(OPTIONS) + " mehrfach bis=3d"


async def scene(
    harness: Harness, transcript: Transcript, *, coordinator: Person, group: Group
) -> None:
    transcript.scene("Dana asks the alumni which topic comes next")
    transcript.said(coordinator, COMMAND + "  (in the group)")
    await group.send(coordinator, COMMAND)
    poll_message = await group.expect(QUESTION, timeout=10)
    assert poll_message.poll is not None
    options = "\n".join(f"○ {option['text']}" for option in poll_message.poll["options"])
    transcript._block(f"Bot → {group.label} (native poll):", f"{poll_message.text}\n{options}")

    voters = await _alumni(harness, besides=coordinator)
    for index, voter in enumerate(voters):
        choice = [index % len(OPTIONS), (index + 1) % len(OPTIONS)] if index % 2 else [0]
        transcript._block(f"{voter.name} votes:", ", ".join(OPTIONS[i] for i in choice))
        await voter.vote(poll_message, choice)
    if voters:
        transcript._block(f"{voters[0].name} changes her vote:", OPTIONS[1])
        await voters[0].vote(poll_message, [1])
    await _settled(harness)

    transcript.scene("Dana looks at the interim result in her private chat")
    transcript.said(coordinator, "/poll ergebnis 1")
    await coordinator.send("/poll ergebnis 1")
    transcript.bot(coordinator, await coordinator.expect("Zwischenstand", timeout=10))
    chart = await coordinator.next_message(timeout=10)
    transcript._block(f"Bot → {coordinator.label}:", f"[bar chart, {chart.method}]")

    transcript.scene("Three days later the poll closes by itself")
    await harness.clock.advance(dt.timedelta(days=3, minutes=1))
    transcript.bot(group, await group.expect("Ergebnis Umfrage #1", timeout=10))


async def _alumni(harness: Harness, *, besides: Person) -> list[Person]:
    async with harness.services.db.session() as session:
        members = (
            await session.exec(select(Member).where(col(Member.consent_at).is_not(None)))
        ).all()
    users = harness.server.users
    return [
        Person(harness.world, users[member.telegram_id])
        for member in members
        if member.telegram_id != besides.id and member.telegram_id in users
    ]


async def _settled(harness: Harness) -> None:
    server = harness.server
    await server.wait_for(lambda: server.pending_update_count == 0, 10, external=True)
