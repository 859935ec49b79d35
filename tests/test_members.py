"""Members' own commands: /profile, /pause, /resume, /language; and reachability."""

from __future__ import annotations

import datetime as dt

import pytest
from db_peek import peek_one
from factories import cohort, member
from member_steps import stored

from bot.members.rules import OPEN_ENDED
from bot.payloads import message_payload
from sandbox.harness import Harness
from storage import outbox as outbox_store
from storage.tables import DeliveryStatus
from storage.types import utcnow


async def test_profile_shows_and_changes_a_field(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna, organisation="IHK Kassel")
    await anna.send("/profile")
    shown = await anna.expect("Dein Profil", "IHK Kassel", "Jahrgang 2022")
    assert "Organisation ändern" in shown.button_texts
    await anna.press("Region ändern")
    await anna.expect("MINT-Region", "Bisher: MINT-Region Nordhessen")
    await anna.send("MINT-Region Südhessen")
    await anna.expect("Gespeichert", "MINT-Region Südhessen")
    row = await stored(bot, anna)
    assert row is not None and row.region == "MINT-Region Südhessen" and row.awaiting is None


async def test_job_change_asks_organisation_and_role(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna, organisation="IHK Kassel")
    await anna.send("/profile")
    await anna.expect("Dein Profil")
    await anna.press("Stelle gewechselt")
    await anna.expect("Schritt 1 von 2", "Organisation", "Bisher: IHK Kassel")
    await anna.send("zdi-Zentrum Bochum")
    await anna.expect("Schritt 2 von 2", "Rolle")
    await anna.send("Projektleitung")
    await anna.expect("Gespeichert", "zdi-Zentrum Bochum", "Projektleitung")
    row = await stored(bot, anna)
    assert row is not None
    assert (row.organisation, row.job_role, row.awaiting) == (
        "zdi-Zentrum Bochum",
        "Projektleitung",
        None,
    )


async def test_profile_field_can_be_kept_or_removed(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna, organisation="IHK Kassel")
    await cohort(bot, "Jahrgang 2023")
    await anna.send("/profile")
    await anna.expect("Dein Profil")
    await anna.press("Organisation ändern")
    await anna.expect("Organisation")
    await anna.press("Entfernen")
    await anna.expect("Gespeichert", "Organisation: nicht angegeben")
    await anna.press("Jahrgang ändern")
    question = await anna.expect("In welchem Jahrgang")
    assert "🗑 Entfernen" not in question.button_texts  # the cohort stays
    await anna.press("Unverändert lassen")
    await anna.expect("Gespeichert", "Jahrgang 2022")
    row = await stored(bot, anna)
    assert row is not None and row.organisation is None and row.awaiting is None


async def test_member_commands_before_consent_store_nothing(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    for command in ("/profile", "/pause", "/resume", "/language en"):
        await anna.send(command)
        await anna.expect("noch nicht angemeldet")
    assert await stored(bot, anna) is None


@pytest.mark.parametrize(
    "argument", ["bis 31.12.2099", "31.12.2099", "until 2099-12-31", "31.12.99"]
)
async def test_pause_until_a_date(bot: Harness, argument: str) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna)
    await anna.send(f"/pause {argument}")
    await anna.expect("Pause bis einschließlich 31.12.2099")
    row = await stored(bot, anna)
    assert row is not None and row.paused_until is not None
    local = row.paused_until.astimezone(bot.settings.tz)
    assert (local.date(), local.time()) == (dt.date(2100, 1, 1), dt.time())


async def test_pause_open_ended_and_resume(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna)
    await anna.send("/resume")
    await anna.expect("gar nicht pausiert")
    await anna.send("/pause")
    await anna.expect("Bis du /resume schreibst")
    row = await stored(bot, anna)
    assert row is not None and row.paused_until == OPEN_ENDED
    await anna.send("/resume")
    await anna.expect("Willkommen zurück")
    row = await stored(bot, anna)
    assert row is not None and row.paused_until is None


@pytest.mark.parametrize(
    ("argument", "answer"),
    [
        ("bis Weihnachten", "verstehe ich nicht"),
        ("32.13.2026", "verstehe ich nicht"),
        ("2026-02-30", "verstehe ich nicht"),
        ("01.01.2001", "in der Vergangenheit"),
        ("9999-12-31", "verstehe ich nicht"),
        ("١٢.١٢.٢٠٣٠", "verstehe ich nicht"),
    ],
)
async def test_bad_pause_dates_are_explained(bot: Harness, argument: str, answer: str) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna)
    await anna.send(f"/pause {argument}")
    message = await anna.expect(answer)
    assert "31.12.2026" in message.text or "/pause bis" in message.text
    row = await stored(bot, anna)
    assert row is not None and row.paused_until is None


async def test_language_with_argument_and_buttons(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna)
    await anna.send("/language en")
    await anna.expect("in English")
    row = await stored(bot, anna)
    assert row is not None and row.language == "en"
    await anna.send("/language")
    await anna.expect("Which language")
    await anna.press("Deutsch")
    await anna.expect("auf Deutsch")
    await anna.send("/language fr")
    await anna.expect("„fr“ kann ich nicht")
    row = await stored(bot, anna)
    assert row is not None and row.language == "de"


async def test_blocking_and_unblocking_the_bot(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna)
    await anna.block()
    await anna.wait_until(lambda: _reachable(bot, anna.id) is False, "Anna unreachable")
    row = await stored(bot, anna)
    assert row is not None and not row.reachable and row.unreachable_since is not None
    await anna.unblock()
    await anna.wait_until(lambda: _reachable(bot, anna.id) is True, "Anna reachable")


def _reachable(bot: Harness, telegram_id: int) -> bool | None:
    """Synchronous peek for wait_until (test-only)."""
    found = peek_one(
        bot.settings.database_url,
        "SELECT reachable FROM member WHERE telegram_id = :telegram_id",
        telegram_id=telegram_id,
    )
    return None if found is None else bool(found[0])


async def test_a_blocked_member_receives_nothing_further(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna)
    anna.user.blocked_bot = True  # blocked without the bot hearing of it: the 403 tells
    outbox = bot.services.outbox
    async with bot.services.db.write() as session:
        await outbox.enqueue(
            session,
            key="test:anna:1",
            chat_id=anna.id,
            payload=message_payload("Hallo Anna"),
            respect_quiet_hours=False,
        )
        await session.commit()
    outbox.wake()
    await anna.wait_until(lambda: _reachable(bot, anna.id) is False, "the 403 to be noted")
    async with bot.services.db.session() as session:
        row = await outbox_store.get_by_key(session, purpose_key="test:anna:1")
    assert row is not None and row.status == DeliveryStatus.UNREACHABLE
    assert anna.messages == []
    row_member = await stored(bot, anna)
    assert row_member is not None and row_member.unreachable_since is not None
    assert row_member.unreachable_since <= utcnow()


async def test_a_pause_in_the_past_names_the_date_understood(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna)
    await anna.send("/pause bis 01.01.2020")
    message = await anna.expect("in der Vergangenheit")
    assert message.text.startswith("Der 01.01.2020 liegt")
    await anna.send("/language en")
    await anna.expect("in English")
    await anna.send("/pause until 2020-01-01")
    message = await anna.expect("in the past")
    assert message.text.startswith("January 1, 2020 is")
