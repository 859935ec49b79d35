"""Coordinators edit the question set; a running round keeps the questions it started with."""

from __future__ import annotations

from typing import Any

import factories
import pytest
from checkin_steps import coordinator, open_round
from sqlmodel import col, select

import handlers.questions
from sandbox.harness import Harness
from storage.tables import Question, RoundQuestion


async def _active_texts(bot: Harness) -> list[str]:
    async with bot.services.db.session() as session:
        rows = await session.exec(
            select(Question).where(col(Question.active).is_(True)).order_by(col(Question.position))
        )
        return [question.text_de for question in rows.all()]


async def test_default_questions_are_seeded_in_german_and_english(bot: Harness) -> None:
    kim = await coordinator(bot)
    await kim.send("/questions")
    listing = await kim.expect("Fragen für die nächste Runde")
    assert "1. Was beschäftigt dich gerade in deinem Netzwerk?" in listing.text
    assert "EN: What is keeping you busy in your network right now?" in listing.text
    assert "5. Gibt es Neues von dir" in listing.text
    texts = await _active_texts(bot)
    assert len(texts) == 5 and "Zeit, Geld, Personal, Förderung" in texts[1]
    await bot.restart()  # seeding happens once
    assert len(await _active_texts(bot)) == 5


async def test_add_edit_move_remove(bot: Harness) -> None:
    kim = await coordinator(bot)
    await kim.send("/questions add Was plant ihr für den Herbst? | What are your autumn plans?")
    added = await kim.expect("Frage hinzugefügt")
    assert "6. Was plant ihr für den Herbst?" in added.text
    await kim.send("/questions edit 6 Was plant ihr im Herbst & Winter?")
    await kim.expect("Frage 6 geändert", "Herbst & Winter")
    await kim.send("/questions move 6 1")
    moved = await kim.expect("Reihenfolge geändert")
    assert "1. Was plant ihr im Herbst & Winter?" in moved.text
    await kim.send("/questions remove 2")
    await kim.expect("Frage 2 entfernt")
    texts = await _active_texts(bot)
    assert texts[0] == "Was plant ihr im Herbst & Winter?"
    assert "Was beschäftigt dich gerade in deinem Netzwerk?" not in texts
    assert len(texts) == 5
    async with bot.services.db.session() as session:
        edited = (await session.exec(select(Question).where(Question.position == 1))).first()
    assert edited is not None and edited.text_en is None  # stale translation dropped


async def test_bad_input_is_explained(bot: Harness) -> None:
    kim = await coordinator(bot)
    await kim.send("/questions remove zwei")
    await kim.expect("„zwei“ ist keine Fragennummer")
    await kim.send("/questions remove 9")
    await kim.expect("Eine Frage 9 gibt es nicht")
    await kim.send("/questions add")
    await kim.expect("Da fehlt der Text der Frage")
    await kim.send("/questions tanzen")
    await kim.expect("„tanzen“ kenne ich nicht")
    await kim.send("/questions add " + "x" * 501)
    await kim.expect("höchstens 500 Zeichen")
    assert len(await _active_texts(bot)) == 5


async def test_members_are_refused(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await anna.send("/questions remove 1")
    await anna.expect("Das dürfen nur die Koordinator:innen")
    assert len(await _active_texts(bot)) == 5


async def test_running_round_keeps_its_questions(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    kim = await coordinator(bot)
    await open_round(bot, kim)
    await anna.expect("Frage 1 von 5", "Was beschäftigt dich")
    await kim.send("/questions edit 2 Neue Frage zwei")
    await kim.expect("Frage 2 geändert")
    await kim.send("/questions remove 5")
    await kim.expect("Frage 5 entfernt")

    await anna.send("Antwort eins")
    await anna.expect("Frage 2 von 5", "Ressourcen")  # the round's own copy
    async with bot.services.db.session() as session:
        copies = (await session.exec(select(RoundQuestion))).all()
    assert len(copies) == 5

    await kim.send("/round close")
    await kim.expect("geschlossen")
    await open_round(bot, kim)
    await anna.expect("2. Austauschrunde", "Frage 1 von 4")
    await anna.send("Runde zwei, Antwort eins")
    await anna.expect("Frage 2 von 4", "Neue Frage zwei")


@pytest.mark.parametrize("typed", ["²", "99999999999999999999", "0"])
async def test_a_number_that_is_not_one_gets_the_usage(bot: Harness, typed: str) -> None:
    kim = await coordinator(bot)
    await kim.send(f"/questions remove {typed}")
    await kim.expect(f"„{typed}“ ist keine Fragennummer")
    await kim.expect("/questions")  # the usage follows
    await kim.send(f"/questions move 1 {typed}")
    await kim.expect(f"„{typed}“ ist keine Fragennummer")
    assert len(await _active_texts(bot)) == 5


async def test_refusal_is_sent_after_the_write_lock_is_released(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow Telegram reply must not hold every other writer up."""
    held_while_sending: list[bool] = []
    send = handlers.questions.reply

    async def watched(*args: Any, **kwargs: Any) -> None:
        held_while_sending.append(bot.services.db.write_lock.locked())
        await send(*args, **kwargs)

    monkeypatch.setattr(handlers.questions, "reply", watched)
    kim = await coordinator(bot)
    await kim.send("/questions remove 9")
    await kim.expect("Eine Frage 9 gibt es nicht")
    assert held_while_sending == [False]
