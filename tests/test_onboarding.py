"""Onboarding: consent first, then a guided profile that survives restarts and bad input."""

from __future__ import annotations

import datetime as dt

from factories import cohort, member
from member_steps import configured_coordinator, consent, stored
from sqlmodel import select

from sandbox.harness import Harness
from storage.tables import Invite
from storage.types import utcnow


async def test_consent_and_full_profile(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    await cohort(bot, "Jahrgang 2023")
    anna = bot.world.user("Anna", last_name="Schmidt", username="anna_s")
    await anna.send("/start")
    await anna.expect("Datenschutz")
    assert await stored(bot, anna) is None
    await anna.press("Einverstanden")
    ask_name = await anna.expect("Schritt 1 von 5", "Wie sollen dich die anderen sehen")
    assert "Bisher: Anna Schmidt" in ask_name.text
    row = await stored(bot, anna)
    assert (
        row is not None and row.consent_at is not None and row.awaiting == "profile:name:onboarding"
    )
    await anna.press("Übernehmen")
    ask_cohort = await anna.expect("In welchem Jahrgang")
    assert {"Jahrgang 2022", "Jahrgang 2023"} <= set(ask_cohort.button_texts)
    assert "Überspringen »" not in ask_cohort.button_texts  # the cohort cannot be skipped
    await anna.press("Jahrgang 2023")
    await anna.expect("Netzwerk bzw. welche MINT-Region")
    await anna.send("MINT-Region Nordhessen")
    await anna.expect("Organisation")
    await anna.send("Bildungsbüro Kassel")
    await anna.expect("Rolle")
    await anna.press("Überspringen")
    done = await anna.expect("willkommen im Alumni-Austausch", "Dein Profil")
    assert "MINT-Region Nordhessen" in done.text and "Rolle: nicht angegeben" in done.text
    row = await stored(bot, anna)
    assert row is not None
    assert (row.display_name, row.region, row.organisation, row.job_role, row.awaiting) == (
        "Anna Schmidt",
        "MINT-Region Nordhessen",
        "Bildungsbüro Kassel",
        None,
        None,
    )
    assert row.username == "anna_s" and row.language == "de"


async def test_known_regions_are_offered_as_buttons(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    await member(bot, bot.world.user("Ben"), region="MINT-Region Hamburg")
    clara = bot.world.user("Clara")
    await consent(clara)
    await clara.send("Clara K.")
    await clara.expect("In welchem Jahrgang")
    await clara.press("Jahrgang 2022")
    await clara.expect("MINT-Region")
    await clara.press("MINT-Region Hamburg")
    await clara.expect("Organisation")
    row = await stored(bot, clara)
    assert (
        row is not None and row.region == "MINT-Region Hamburg" and row.display_name == "Clara K."
    )


async def test_back_button_and_typed_cohort(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    anna = bot.world.user("Anna")
    await consent(anna)
    await anna.press("Überspringen")
    await anna.expect("In welchem Jahrgang")
    await anna.send("Jahrgang 1999")
    wrong = await anna.expect("Den Jahrgang „Jahrgang 1999“ kenne ich nicht")
    assert "Jahrgang 2022" in wrong.button_texts
    await anna.send("2022")  # the year alone is enough when it is unique
    await anna.expect("MINT-Region")
    await anna.press("Zurück")
    await anna.expect("In welchem Jahrgang", "Bisher: Jahrgang 2022")
    row = await stored(bot, anna)
    assert row is not None and row.awaiting == "profile:cohort:onboarding"
    assert row.display_name is None and row.cohort_id is not None


async def test_bad_input_is_answered_in_german_and_nothing_is_lost(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    anna = bot.world.user("Anna")
    await consent(anna)
    await anna.send("Anna 🌻 أحمد")  # emoji and right-to-left text are fine
    await anna.expect("In welchem Jahrgang")
    await anna.press("Jahrgang 2022")
    await anna.expect("MINT-Region")
    await anna.send_photo()
    await anna.expect("bitte schick mir deine Antwort als Text")
    await anna.send_sticker()
    await anna.expect("bitte schick mir deine Antwort als Text")
    await anna.send("   \u200b  ")
    await anna.expect("Da steht ja nichts drin")
    too_long = "Netzwerk " * 20
    await anna.send(too_long)
    message = await anna.expect("höchstens 120 Zeichen", "deins hat 179")
    assert too_long.strip() in message.text
    row = await stored(bot, anna)
    assert row is not None
    assert row.display_name == "Anna 🌻 أحمد" and row.cohort_id is not None
    assert row.draft == too_long.strip() and row.region is None
    assert row.awaiting == "profile:region:onboarding"
    await anna.send("MINT-Region \u202eNord")  # a bidi override would flip the digest text
    await anna.expect("Organisation")
    row = await stored(bot, anna)
    assert row is not None and row.region == "MINT-Region Nord" and row.draft is None


async def test_restart_in_the_middle_of_the_profile_continues_there(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    anna = bot.world.user("Anna")
    await consent(anna)
    await anna.send("Anna")
    cohort_question = await anna.expect("In welchem Jahrgang")
    await bot.restart()
    await anna.press("Jahrgang 2022", message=cohort_question)  # a button from before
    await anna.expect("MINT-Region")
    await bot.restart()
    await anna.send("MINT-Region Elbe")
    await anna.expect("Organisation")
    row = await stored(bot, anna)
    assert row is not None and row.region == "MINT-Region Elbe"
    assert row.awaiting == "profile:organisation:onboarding"


async def test_old_buttons_cannot_change_another_step(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    anna = bot.world.user("Anna")
    await consent(anna)
    name_question = anna.last
    await anna.send("Anna")
    await anna.expect("In welchem Jahrgang")
    await anna.press("Überspringen", message=name_question)
    await anna.expect("älteren Frage", "In welchem Jahrgang")
    row = await stored(bot, anna)
    assert row is not None and row.display_name == "Anna"


async def test_start_again_continues_where_the_member_is(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    anna = bot.world.user("Anna")
    await consent(anna)
    await anna.send("/start")
    await anna.expect("Schön, dass du wieder da bist")
    await anna.expect("Wie sollen dich die anderen sehen")
    assert anna.messages[0].buttons == []  # the consent button is gone once pressed
    row = await stored(bot, anna)
    assert row is not None and row.awaiting == "profile:name:onboarding"


async def test_free_text_before_consent_points_to_start(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await anna.send("Hallo?")
    await anna.expect("noch nicht angemeldet", "/start")
    assert await stored(bot, anna) is None


async def test_without_configured_cohorts_the_step_is_passed(bot: Harness) -> None:
    anna = bot.world.user("Anna")
    await consent(anna)
    await anna.press("Übernehmen")
    await anna.expect("MINT-Region")


# ------------------------------------------------------------------------------ invites


async def _invite(bot: Harness, argument: str = "") -> str:
    carla = configured_coordinator(bot)
    await carla.send(f"/invite {argument}".strip())
    message = await carla.expect("Einladungslink")
    link = next(word for word in message.text.split() if word.startswith("https://t.me/"))
    assert bot.app is not None
    assert link.startswith(f"https://t.me/{bot.app.bot.username}?start=")
    return link.split("start=", 1)[1]


async def test_invite_link_preselects_the_cohort(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    await cohort(bot, "Jahrgang 2024")
    code = await _invite(bot, "Jahrgang 2024")
    ben = bot.world.user("Ben")
    await ben.send(f"/start {code}")
    notice = await ben.expect("Datenschutz")
    assert await stored(bot, ben) is None
    assert any(code in button["callback_data"] for button in notice.buttons)
    await ben.press("Einverstanden")
    await ben.expect("Wie sollen dich")
    await ben.press("Übernehmen")
    await ben.expect("MINT-Region")  # the cohort came with the invite
    row = await stored(bot, ben)
    async with bot.services.db.session() as session:
        invite = (await session.exec(select(Invite).where(Invite.code == code))).one()
    assert row is not None and row.cohort_id == invite.cohort_id
    assert invite.used_count == 1
    assert invite.expires_at is not None and invite.expires_at > utcnow() + dt.timedelta(days=29)


async def test_unknown_expired_and_revoked_codes_get_normal_onboarding(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    expired = await _invite(bot, "2022")
    revoked = await _invite(bot, "2022")
    async with bot.services.db.write() as session:
        row = (await session.exec(select(Invite).where(Invite.code == expired))).one()
        row.expires_at = utcnow() - dt.timedelta(minutes=1)
        session.add(row)
        await session.commit()
    for code, words in (
        ("gibtsnicht", "kenne ich leider nicht"),
        ("<script>", "kenne ich leider nicht"),
        (expired, "abgelaufen"),
    ):
        person = bot.world.user("Dora")
        await person.send(f"/start {code}")
        await person.expect(words)
        notice = await person.expect("Datenschutz")
        assert all(button["callback_data"].endswith(":") for button in notice.buttons)
        await person.press("Einverstanden")
        await person.expect("Wie sollen dich")
        await person.press("Übernehmen")
        await person.expect("In welchem Jahrgang")  # no cohort preselected
    async with bot.services.db.write() as session:
        row = (await session.exec(select(Invite).where(Invite.code == revoked))).one()
        row.revoked_at = utcnow()
        session.add(row)
        await session.commit()
    eve = bot.world.user("Eve")
    await eve.send(f"/start {revoked}")
    await eve.expect("zurückgezogen")
    assert await stored(bot, eve) is None
