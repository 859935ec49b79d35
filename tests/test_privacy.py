"""Privacy rights: /export shows everything stored; /forget erases it and /start works again."""

from __future__ import annotations

import json

from factories import member
from member_steps import consent, stored
from sqlmodel import select

from bot.payloads import message_payload
from sandbox.harness import Harness
from storage.tables import (
    Answer,
    OutboxMessage,
    Participation,
    Round,
    RoundQuestion,
)
from storage.types import utcnow


async def _answers(bot: Harness, member_id: int) -> None:
    """What another feature (check-in rounds) stores for a member."""
    async with bot.services.db.write() as session:
        round_ = Round(number=3, closes_at=utcnow())
        session.add(round_)
        await session.flush()
        assert round_.id is not None
        question = RoundQuestion(
            round_id=round_.id, position=1, text_de="Was beschäftigt dein Netzwerk gerade?"
        )
        session.add(question)
        await session.flush()
        assert question.id is not None
        session.add(Participation(round_id=round_.id, member_id=member_id, visibility="anonymous"))
        session.add(
            Answer(
                round_id=round_.id,
                round_question_id=question.id,
                member_id=member_id,
                text="Unser Mädchen-Projekt geht in die nächste Runde <3",
                themes=["Förderung"],
            )
        )
        await session.commit()


async def test_export_contains_profile_answers_and_participation(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    row = await member(bot, anna, organisation="Bildungsbüro")
    assert row.id is not None
    await _answers(bot, row.id)
    await anna.send("/export")
    await anna.wait_until(lambda: any(m.document for m in anna.messages), "the export file")
    message = next(m for m in anna.messages if m.document)
    assert message.document is not None
    assert message.document["file_name"].endswith(".json")
    assert "Alles, was ich über dich gespeichert habe" in message.text
    data = json.loads(message.document["content"])
    assert data["profile"]["display_name"] == "Anna"
    assert data["profile"]["organisation"] == "Bildungsbüro"
    assert data["profile"]["cohort"] == "Jahrgang 2022"
    assert data["profile"]["consent_at"]
    assert data["answers"][0]["question"] == "Was beschäftigt dein Netzwerk gerade?"
    assert data["answers"][0]["answer"] == "Unser Mädchen-Projekt geht in die nächste Runde <3"
    assert data["answers"][0]["round"] == 3 and data["answers"][0]["created_at"]
    assert data["participations"] == [
        {
            "round": 3,
            "visibility": "anonymous",
            "started_at": None,
            "postponed_at": None,
            "finished_at": None,
        }
    ]


async def test_forget_erases_everything_and_start_works_again(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    row = await member(bot, anna)
    assert row.id is not None
    await _answers(bot, row.id)
    async with bot.services.db.write() as session:
        # A prompt still waiting for the quiet hours to end: it must never go out now.
        await bot.services.outbox.enqueue(
            session,
            key="checkin:round:3:member:anna:prompt",
            chat_id=anna.id,
            payload=message_payload("Hallo Anna, Runde 3!"),
            not_before=utcnow().replace(year=utcnow().year + 1),
        )
        await session.commit()
    await anna.send("/forget")
    await anna.expect("wirklich alles über dich löschen")
    await anna.press("Abbrechen")
    await anna.expect("nichts gelöscht")
    assert await stored(bot, anna) is not None
    await anna.send("/forget")
    await anna.expect("wirklich alles")
    await anna.press("Ja, alles löschen")
    await anna.expect("Ich habe alles über dich gelöscht")
    assert await stored(bot, anna) is None
    async with bot.services.db.session() as session:
        assert (await session.exec(select(Answer))).all() == []
        assert (await session.exec(select(Participation))).all() == []
        outbox = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == anna.id))
        ).all()
        assert outbox == []
        assert (await session.exec(select(Round))).all() != []  # the round itself stays
    await anna.send("/export")
    await anna.expect("Über dich habe ich nichts gespeichert")
    assert not any(m.document for m in anna.messages)
    await consent(anna)
    again = await stored(bot, anna)
    assert again is not None and row.consent_at is not None and again.consent_at is not None
    assert again.consent_at > row.consent_at and again.cohort_id is None  # a fresh start


async def test_export_and_forget_before_consent(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await anna.send("/export")
    await anna.expect("nichts gespeichert")
    await anna.send("/forget")
    await anna.expect("nichts gespeichert")
    assert await stored(bot, anna) is None


async def test_export_in_english(bot: Harness) -> None:
    john = bot.world.user("John", language="en")
    await member(bot, john, language="en")
    await john.send("/export")
    await john.wait_until(lambda: any(m.document for m in john.messages), "the export file")
    assert "Everything I have stored" in next(m for m in john.messages if m.document).text
