"""Updates are confirmed to Telegram only once handled, and a re-delivered one is skipped."""

from __future__ import annotations

import asyncio
from typing import Any

import factories
import pytest
from checkin_steps import answers, coordinator, count, open_round

from sandbox.harness import Harness
from storage import rounds as rounds_store


async def _asked(bot: Harness, name: str = "Anna") -> Any:
    person = bot.world.user(name)
    await factories.member(bot, person)
    await open_round(bot, await coordinator(bot), "3d")
    await person.expect("Frage 1 von 5")
    return person


async def test_an_update_handled_before_a_crash_is_not_handled_again(bot: Harness) -> None:
    """The answer was stored and confirmed to the member, then the bot died before telling
    Telegram: the same update comes again after the restart and changes nothing."""
    anna = await _asked(bot)
    await anna.send("Wir suchen Honorarkräfte")
    await anna.expect("Gespeichert als Antwort auf Frage 1: „Wir suchen Honorarkräfte“", "Frage 2")
    await bot.crash()
    await bot.server.redeliver(bot.server.update_id_of("Wir suchen Honorarkräfte"))

    await bot.start()
    await anna.expect("Ich war kurz weg", "Frage 2 von 5")  # where she stands, once
    await anna.expect_nothing(0.3)
    assert [text for _, text, _ in await answers(bot, anna)] == ["Wir suchen Honorarkräfte"]
    assert count(anna, "Gespeichert als") == 1
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "the update confirmed")
    anna.assert_all_read()


async def test_an_update_cut_off_by_a_crash_is_handled_after_the_restart(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fetched, being handled, then killed before anything was committed: Telegram was not told,
    so it offers the update again and the answer is stored once, confirmed once."""
    anna = await _asked(bot)
    entered, release = asyncio.Event(), asyncio.Event()
    save = rounds_store.save_answer

    async def slow_save(session: Any, **kwargs: Any) -> Any:
        entered.set()
        await release.wait()
        return await save(session, **kwargs)

    monkeypatch.setattr(rounds_store, "save_answer", slow_save)
    await anna.send("Förderung läuft aus")
    await asyncio.wait_for(entered.wait(), 5)
    await bot.crash()
    assert await answers(bot, anna) == []
    assert bot.server.pending_update_count == 1  # not confirmed

    release.set()
    await bot.start()
    await anna.expect("Gespeichert", "Frage 2 von 5")
    assert [text for _, text, _ in await answers(bot, anna)] == ["Förderung läuft aus"]
    await anna.expect_nothing(0.3)
    assert count(anna, "Gespeichert als") == 1
    anna.assert_all_read()


async def test_updates_are_confirmed_in_order_once_handled(bot: Harness) -> None:
    anna = await _asked(bot)
    for text in ("eins", "zwei", "drei"):
        await anna.send(text)
    await anna.expect("Frage 4 von 5")
    await anna.wait_until(lambda: bot.server.pending_update_count == 0, "all confirmed")
    assert [text for _, text, _ in await answers(bot, anna)] == ["eins", "zwei", "drei"]


async def test_after_a_crash_members_mid_check_in_see_where_they_stand_once(bot: Harness) -> None:
    ben = bot.world.user("Ben")
    await factories.member(bot, ben)  # asked too, but has not answered: nothing to resume
    anna = await _asked(bot)
    await ben.expect("Frage 1 von 5")
    await anna.send("Elternabende laufen gut")
    await anna.expect("Gespeichert", "Frage 2 von 5")

    await bot.restart()  # a clean restart cuts nothing off: no word from the bot
    await anna.expect_nothing(0.2)

    await bot.crash()
    await bot.start()
    resumed = await anna.expect("Ich war kurz weg", "Frage 2 von 5")
    assert resumed.button_texts == ["Überspringen", "Später"]
    await bot.crash()  # dies again at once: the same last answer is not resumed twice
    await bot.start()
    await anna.expect_nothing(0.3)
    await ben.expect_nothing(0.1)
    assert count(anna, "Ich war kurz weg") == 1
    anna.assert_all_read()
    await anna.send("Social Media mit Influencern")
    await anna.expect("Gespeichert als Antwort auf Frage 2", "Frage 3 von 5")
