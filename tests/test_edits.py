"""Editing a message already sent is answered kindly and changes nothing."""

from __future__ import annotations

import factories
from checkin_steps import answers, coordinator, open_round

from sandbox.harness import Harness


async def test_an_edited_answer_is_not_taken_as_the_next_answer(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await factories.member(bot, anna)
    kim = await coordinator(bot)
    await open_round(bot, kim)
    await anna.expect("Frage 1 von 5")
    sent = await anna.send("Wir suchen Honorarkräfte")
    await anna.expect("Gespeichert", "Frage 2 von 5")

    await anna.edit(sent, "Wir suchen dringend Honorarkräfte")
    await anna.expect("übernehme ich nicht", "/checkin")
    stored = [(position, text) for position, text, _ in await answers(bot, anna)]
    assert stored == [(1, "Wir suchen Honorarkräfte")]


async def test_an_edited_command_does_not_run_again(bot: Harness) -> None:
    kim = await coordinator(bot)
    sent = await kim.send("/cohorts add Jahrgang 2025")
    await kim.expect("Jahrgang 2025")
    await kim.edit(sent, "/cohorts add Jahrgang 2026")
    await kim.expect("übernehme ich nicht")
    await kim.send("/cohorts")
    listing = await kim.expect("Jahrgang 2025")
    assert "Jahrgang 2026" not in listing.text
