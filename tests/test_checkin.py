"""A member answers a round's questions in the private chat."""

from __future__ import annotations

import asyncio
from typing import Any

import factories
import pytest
from checkin_steps import (
    answer_all,
    answers,
    coordinator,
    count,
    eventually,
    member_row,
    open_round,
    outbox,
    participation,
)
from db_peek import writers_waiting

from bot.rounds import lifecycle as rounds
from sandbox.harness import Harness
from storage import rounds as rounds_store
from storage.types import utcnow


async def test_member_answers_skips_and_chooses_visibility(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna, cohort_name="Jahrgang 2022")
    kim = await coordinator(bot)
    await open_round(bot, kim)

    prompt = await anna.expect("Hallo Anna", "1. Austauschrunde", "Frage 1 von 5")
    assert "Was beschäftigt dich gerade" in prompt.text
    assert "Deine Antworten sind erst einmal für alle Alumni sichtbar" in prompt.text
    assert "das kannst du am Ende ändern" in prompt.text
    assert prompt.button_texts == ["Überspringen", "Später"]

    await anna.send("Die Förderung läuft aus, wir suchen Honorarkräfte. #Elternarbeit")
    await anna.expect("Gespeichert", "Frage 2 von 5", "Ressourcen")
    stored = await answers(bot, anna)
    assert [(position, text) for position, text, _ in stored] == [
        (1, "Die Förderung läuft aus, wir suchen Honorarkräfte. #Elternarbeit")
    ]
    row = stored[0][2]
    assert row.themes == ["Förderung & Finanzen", "Personal & Honorarkräfte", "Eltern"]
    assert row.hashtags == ["Elternarbeit"]

    await anna.press("Überspringen")
    await anna.expect("Frage 3 von 5")
    await anna.send("Instagram-Reels mit Schülerinnen")
    await anna.expect("Frage 4 von 5")
    await anna.send("Kontakte zu Unternehmen für Praktika")
    await anna.expect("Frage 5 von 5")
    await anna.send("Nichts Neues")
    summary = await anna.expect("Deine Antworten in Runde 1")
    assert "(übersprungen)" in summary.text
    assert "Instagram-Reels mit Schülerinnen" in summary.text
    assert "für alle Alumni sichtbar" in summary.text
    assert "✏️ 1 ändern" in summary.button_texts
    assert "✓ Für alle Alumni sichtbar" in summary.button_texts

    texts = [text for _, text, _ in await answers(bot, anna)]
    assert texts == [
        "Die Förderung läuft aus, wir suchen Honorarkräfte. #Elternarbeit",
        None,
        "Instagram-Reels mit Schülerinnen",
        "Kontakte zu Unternehmen für Praktika",
        "Nichts Neues",
    ]
    taken = await participation(bot, anna)
    assert taken is not None and taken.finished_at is not None and taken.visibility == "all"
    assert (await member_row(bot, anna)).awaiting is None

    await anna.press("Nur für die Koordinator:innen")
    await anna.wait_until(lambda: "✓ Nur für die Koordinator:innen" in anna.last.button_texts,
                          "the summary to show the new choice")  # fmt: skip
    assert anna.last.edited and "nur für die Koordinator:innen sichtbar" in anna.last.text
    taken = await participation(bot, anna)
    assert taken is not None and taken.visibility == "coordinators"


async def test_free_text_after_finishing_is_not_taken_as_an_answer(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    await answer_all(anna, ["a", "b", "c", "d", "e"])
    await anna.send("Hallo, noch was?")
    await anna.expect("nicht verstanden")
    assert [text for _, text, _ in await answers(bot, anna)] == ["a", "b", "c", "d", "e"]


async def test_later_then_checkin_continues_with_the_next_unanswered_question(
    bot: Harness,
) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    await anna.send("Zeit ist knapp")
    await anna.expect("Frage 2 von 5")
    await anna.press("Später")
    await anna.expect("dann später", "/checkin")
    taken = await participation(bot, anna)
    assert taken is not None and taken.postponed_at is not None
    assert (await member_row(bot, anna)).awaiting is None

    await anna.send("/checkin")
    message = await anna.expect("Frage 2 von 5")
    assert "Gespeichert" not in message.text
    taken = await participation(bot, anna)
    assert taken is not None and taken.postponed_at is None
    await anna.send("Wenig Geld, eine halbe Stelle")
    await anna.expect("Frage 3 von 5")
    assert [text for _, text, _ in await answers(bot, anna)] == [
        "Zeit ist knapp",
        "Wenig Geld, eine halbe Stelle",
    ]


async def test_restart_mid_flow_continues_without_repeating_anything(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    await anna.send("Erste Antwort")
    await anna.expect("Frage 2 von 5")
    await anna.send("Zweite Antwort")
    await anna.expect("Frage 3 von 5")

    await bot.restart()
    await anna.expect_nothing(0.3)  # no prompt again, no question repeated
    await anna.send("Dritte Antwort")
    await anna.expect("Gespeichert", "Frage 4 von 5")
    assert [text for _, text, _ in await answers(bot, anna)] == [
        "Erste Antwort",
        "Zweite Antwort",
        "Dritte Antwort",
    ]
    assert count(anna, "1. Austauschrunde") == 1
    assert count(anna, "Frage 3 von 5") == 1
    prompts = await outbox(bot, "checkin:round:")
    assert [row.status for row in prompts] == ["sent"]


async def test_editing_an_answer_after_finishing(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    await answer_all(anna, ["a", "b", "c", "d", "e"])

    await anna.press("✏️ 2 ändern")
    await anna.expect("Frage 2:", "Bisher: b", "neue Antwort")
    assert (await member_row(bot, anna)).awaiting is not None
    await anna.send("Jetzt mit Fördermitteln vom Land")
    summary = await anna.expect("Deine Antworten in Runde 1")
    assert "Jetzt mit Fördermitteln vom Land" in summary.text
    stored = await answers(bot, anna)
    assert [text for _, text, _ in stored] == [
        "a",
        "Jetzt mit Fördermitteln vom Land",
        "c",
        "d",
        "e",
    ]
    assert stored[1][2].themes == ["Förderung & Finanzen"]
    assert (await member_row(bot, anna)).awaiting is None

    # /checkin after finishing shows the summary again, with the answers from the database.
    await bot.restart()
    await anna.send("/checkin")
    again = await anna.expect("Deine Antworten in Runde 1")
    assert "Jetzt mit Fördermitteln vom Land" in again.text


async def test_overlong_answer_is_kept_and_can_be_shortened(bot: Harness) -> None:
    await bot.restart(answer_max_chars=60)
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    long_text = "Wir haben viele Ideen für Workshops und Präsenzangebote in den Ferien " * 2
    await anna.send(long_text)
    message = await anna.expect("höchstens 60", "aufbewahrt")
    assert "Auf 60 Zeichen kürzen" in message.button_texts[0]
    assert await answers(bot, anna) == []
    assert (await member_row(bot, anna)).draft == long_text.strip()

    # The draft survives a restart; the member takes the shortened version.
    await bot.restart()
    await anna.press("kürzen")
    await anna.expect("Gespeichert", "Frage 2 von 5")
    stored = await answers(bot, anna)
    assert len(stored) == 1 and stored[0][1] is not None
    assert len(stored[0][1]) <= 60 and stored[0][1].endswith("…")
    assert long_text.startswith(stored[0][1].removesuffix(" …"))
    assert (await member_row(bot, anna)).draft is None


async def test_shorter_resend_replaces_the_draft(bot: Harness) -> None:
    await bot.restart(answer_max_chars=20)
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    await anna.send("x" * 21)
    await anna.expect("höchstens 20")
    await anna.send("kurz und gut")
    await anna.expect("Frage 2 von 5")
    assert [text for _, text, _ in await answers(bot, anna)] == ["kurz und gut"]
    assert (await member_row(bot, anna)).draft is None


async def test_voice_photo_and_sticker_get_a_note_that_text_is_needed(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    await anna.send_voice()
    await anna.expect("nur Text", "Frage 1")
    await anna.send_photo()
    await anna.expect("nur Text")
    await anna.send_sticker()
    await anna.expect("nur Text")
    assert await answers(bot, anna) == []
    await anna.send("Jetzt als Text")
    await anna.expect("Frage 2 von 5")


async def test_late_answer_after_close_gets_a_friendly_note(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    kim = await coordinator(bot)
    await open_round(bot, kim)
    await anna.expect("Frage 1 von 5")
    await anna.send("Noch rechtzeitig")
    await anna.expect("Frage 2 von 5")
    await kim.send("/round close")
    await kim.expect("Runde 1 ist geschlossen")

    await anna.send("Zu spät")
    late = await anna.expect("schon abgeschlossen")
    # Default schedule: 10:00 on the first Monday of every second month.
    assert "Die nächste startet am Montag" in late.text and "10:00 Uhr" in late.text
    await anna.press("Überspringen")
    await anna.expect("schon abgeschlossen")
    await anna.send("/checkin")
    await anna.expect("Gerade läuft keine Austauschrunde", "Montag")
    assert [text for _, text, _ in await answers(bot, anna)] == ["Noch rechtzeitig"]
    assert (await member_row(bot, anna)).awaiting is None


async def test_english_member_gets_english_questions(bot: Harness) -> None:
    john = bot.world.user("John", language="en")
    await factories.member(bot, john, language="en")
    await open_round(bot, await coordinator(bot))
    prompt = await john.expect("Hello John", "Question 1 of 5", "keeping you busy")
    assert "Your answers are visible to all alumni" in prompt.text
    assert "by default – you can change that at the end" in prompt.text
    assert prompt.button_texts == ["Skip", "Later"]
    await john.send("Funding runs out")
    await john.expect("Saved", "Question 2 of 5", "resources")
    assert (await answers(bot, john))[0][2].themes == ["Förderung & Finanzen"]


async def test_hostile_text_is_escaped_in_the_summary(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna, display_name="<b>Anna & Co</script>")
    await open_round(bot, await coordinator(bot))
    prompt = await anna.expect("Frage 1 von 5")
    assert "Hallo <b>Anna & Co</script>!" in prompt.text
    await answer_all(anna, ["<b>fett</b> & <script>", "<i>", "c", "d", "e"])
    summary = anna.last
    assert "<b>fett</b> & <script>" in summary.text


async def test_checkin_without_round_or_membership(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await anna.send("/checkin")
    await anna.expect("Gerade läuft keine Austauschrunde", "Die nächste startet am")
    stranger = bot.world.user("Sam")
    await stranger.send("/checkin")
    await stranger.expect("/start")


async def test_member_who_joins_during_a_round_can_check_in(bot: Harness) -> None:
    await open_round(bot, await coordinator(bot))
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await anna.send("/checkin")
    first = await anna.expect("Frage 1 von 5", "erst einmal für alle Alumni sichtbar")
    assert "Hallo" not in first.text
    await anna.send("Ich bin neu dabei")
    await anna.expect("Frage 2 von 5")
    assert [text for _, text, _ in await answers(bot, anna)] == ["Ich bin neu dabei"]


@pytest.mark.parametrize(
    "unit",
    ["Förderung läuft aus, wir suchen Honorarkräfte & Räume. ", "🎉🙌 Eltern👩‍👧 "],
    ids=["words", "emoji"],
)
async def test_summary_of_five_answers_at_the_limit_fits_one_message(
    bot: Harness, unit: str
) -> None:
    """Each answer at ANSWER_MAX_CHARS: the summary quotes their starts, the buttons come."""
    limit = bot.services.settings.answer_max_chars
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    texts = [(f"{n}: " + unit * limit)[:limit] for n in range(1, 6)]
    await answer_all(anna, texts)

    summary = anna.last
    assert "✏️ 5 ändern" in summary.button_texts
    assert "✓ Für alle Alumni sichtbar" in summary.button_texts
    assert len(summary.text.encode("utf-16-le")) // 2 <= 4096
    for text in texts:
        start = text[:250].rsplit(" ", 1)[0]
        assert start in summary.text  # the start of every answer is quoted
    assert summary.text.count("…") == 5
    assert [text for _, text, _ in await answers(bot, anna)] == texts  # stored in full

    # /checkin again and changing an answer still work, with the full answer shown there.
    await anna.send("/checkin")
    await anna.expect("Deine Antworten in Runde 1")
    await anna.press("✏️ 3 ändern")
    edit = await anna.expect("Frage 3:", "Bisher:")
    assert texts[2] in edit.text
    await anna.send("Jetzt kurz")
    again = await anna.expect("Deine Antworten in Runde 1")
    assert "Jetzt kurz" in again.text and again.text.count("…") == 4


async def test_answer_read_before_a_close_and_stored_after_it_is_not_taken(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/round close commits between reading the member's place and storing the answer."""
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    opened = await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    await anna.send("Noch rechtzeitig")
    await anna.expect("Gespeichert", "Frage 2 von 5")

    read = rounds_store.progress_rows

    async def read_then_close(session: Any, **kwargs: Any) -> Any:
        found = await read(session, **kwargs)
        monkeypatch.setattr(rounds_store, "progress_rows", read)
        async with bot.services.db.write() as writing:
            current = await rounds_store.get_round(writing, round_id=opened.id or 0)
            assert current is not None
            await rounds.close_round(writing, services=bot.services, round_=current, now=utcnow())
            await writing.commit()
        return found

    monkeypatch.setattr(rounds_store, "progress_rows", read_then_close)
    await anna.send("Knapp zu spät")
    late = await anna.expect("schon abgeschlossen", "Die nächste startet")
    assert "Gespeichert" not in late.text
    assert [text for _, text, _ in await answers(bot, anna)] == ["Noch rechtzeitig"]
    assert (await member_row(bot, anna)).awaiting is None


class CountingLock(asyncio.Lock):
    """The database's write lock, telling how many writers wait for it."""

    waiting = 0

    async def acquire(self) -> bool:
        self.waiting += 1
        try:
            return await super().acquire()
        finally:
            self.waiting -= 1


async def test_a_failing_write_loses_no_other_members_answer(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two answers wait for the database together; one fails, the other is stored."""
    anna, ben = bot.world.user("Anna"), bot.world.user("Ben")
    await factories.member(bot, anna)
    await factories.member(bot, ben)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5")
    await ben.expect("Frage 1 von 5")
    await bot.services.outbox.stop()  # no other writer than the two answers from here on
    lock = CountingLock()
    monkeypatch.setattr(bot.services.db, "write_lock", lock)
    save = rounds_store.save_answer

    async def failing_for_ben(session: Any, **kwargs: Any) -> Any:
        if kwargs["text"] == "KAPUTT":
            raise RuntimeError("disk full")
        return await save(session, **kwargs)

    monkeypatch.setattr(rounds_store, "save_answer", failing_for_ben)

    async with bot.services.db.write():
        await anna.send("Förderung läuft aus")
        await ben.send("KAPUTT")

        async def both_waiting() -> bool:
            if bot.services.db.is_sqlite:
                return lock.waiting >= 2
            return await writers_waiting(bot.services.db) >= 2  # the database's own lock

        await eventually(both_waiting, "both answers to wait for the database")

    await anna.expect("Gespeichert", "Frage 2 von 5")
    await ben.expect("schiefgelaufen")
    assert [text for _, text, _ in await answers(bot, anna)] == ["Förderung läuft aus"]
    assert await answers(bot, ben) == []


async def test_the_first_question_names_the_configured_default_visibility(bot: Harness) -> None:
    await bot.restart(checkin_default_visibility="coordinators")
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    await open_round(bot, await coordinator(bot))
    await anna.expect("Frage 1 von 5", "erst einmal nur für die Koordinator:innen sichtbar")
    await anna.send("Erste Antwort")
    second = await anna.expect("Frage 2 von 5")
    assert "sichtbar" not in second.text  # said once, at the start
    await anna.press("Später")
    await anna.send("/checkin")
    again = await anna.expect("Frage 2 von 5")
    assert "sichtbar" not in again.text
