"""Coordinators: the role checked at every call, /coordinator, /cohorts, /members, /invite,
/setgroup and the alumni group following a supergroup migration."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from conftest import COORDINATOR_ID
from factories import cohort, member
from member_steps import configured_coordinator, reply_in_group, stored
from sqlmodel import select

from sandbox.driver import Person
from sandbox.harness import Harness
from storage import chats as chat_store
from storage.tables import Chat, Cohort, Invite
from storage.types import utcnow

COORDINATOR_COMMANDS = [
    "/invite",
    "/invite revoke abc",
    "/coordinator add 1",
    "/cohorts",
    "/cohorts add Jahrgang 2030",
    "/members",
    "/setgroup",
]


async def _nothing_changed(bot: Harness) -> None:
    async with bot.services.db.session() as session:
        assert (await session.exec(select(Invite))).all() == []
        assert (await session.exec(select(Chat).where(Chat.is_alumni_group == True))).all() == []  # noqa: E712
        names = [c.name for c in (await session.exec(select(Cohort))).all()]
        assert "Jahrgang 2030" not in names


@pytest.mark.parametrize("command", COORDINATOR_COMMANDS)
async def test_refusal_for_member_unknown_user_and_group_member(bot: Harness, command: str) -> None:
    anna = bot.world.user("Anna")
    await member(bot, anna)
    stranger = bot.world.user("Sam")
    ben = bot.world.user("Ben")
    await member(bot, ben)
    group = await bot.world.group("Alumni", members=[ben])
    for person in (anna, stranger):
        await person.send(command)
        await person.expect("Das dürfen nur die Koordinator:innen")
    await group.send(ben, command)
    await group.expect("Das dürfen nur die Koordinator:innen")
    english = bot.world.user("John", language="en")
    await english.send(command)
    await english.expect("coordinator")
    await _nothing_changed(bot)
    assert await stored(bot, stranger) is None


async def test_refusal_after_the_role_is_taken_away(bot: Harness) -> None:
    anna = bot.world.user("Anna", username="anna_s")
    await member(bot, anna, coordinator=True)
    await anna.send("/members")
    await anna.expect("Mitglieder: 1")
    carla = configured_coordinator(bot)
    await carla.send("/coordinator remove @anna_s")
    await carla.expect("kein:e Koordinator:in mehr")
    await anna.send("/members")
    await anna.expect("Das dürfen nur die Koordinator:innen")


async def _menu(bot: Harness, chat_id: int) -> list[str] | None:
    for (scope, _language), commands in bot.server.commands.items():
        if json.loads(scope) == {"type": "chat", "chat_id": chat_id}:
            return [command["command"] for command in commands]
    return None


async def test_add_and_remove_by_username_and_id_with_menu(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await member(bot, carla)
    anna = bot.world.user("Anna", username="anna_s")
    await member(bot, anna)
    await carla.send("/coordinator add @Anna_S")
    await carla.expect("Anna ist jetzt Koordinator:in")
    await anna.expect("Du bist jetzt Koordinator:in")  # through the outbox
    row = await stored(bot, anna)
    assert row is not None and row.is_coordinator
    menu = await _menu(bot, anna.id)
    assert menu is not None and "members" in menu and "profile" in menu
    await carla.send(f"/coordinator remove {anna.id}")
    await carla.expect("Anna ist jetzt kein:e Koordinator:in mehr")
    await anna.expect("kein:e Koordinator:in")
    row = await stored(bot, anna)
    assert row is not None and not row.is_coordinator
    assert await _menu(bot, anna.id) is None


async def test_add_by_replying_in_the_group(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    ben = bot.world.user("Ben")
    await member(bot, ben)
    group = await bot.world.group("Alumni", members=[ben], admins=[carla])
    await reply_in_group(group, carla, "/coordinator add", to=ben)
    await group.expect("Ben ist jetzt Koordinator:in")
    row = await stored(bot, ben)
    assert row is not None and row.is_coordinator
    await ben.send("/members")
    await ben.expect("Mitglieder")


async def test_bootstrap_coordinator_cannot_be_removed_and_bad_targets(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await member(bot, carla)
    anna = bot.world.user("Anna")
    await member(bot, anna, coordinator=True)
    await anna.send(f"/coordinator remove {carla.id}")
    await anna.expect("COORDINATOR_IDS")
    await anna.send("/coordinator add @niemand")
    await anna.expect("finde ich nicht unter den Mitgliedern")
    await anna.send("/coordinator")
    await anna.expect("So geht's")
    row = await stored(bot, carla)
    assert row is not None


async def test_cohorts_list_add_rename_and_bad_input(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await carla.send("/cohorts")
    await carla.expect("Noch keine Jahrgänge")
    await carla.send("/cohorts add Jahrgang 2022")
    await carla.expect("„Jahrgang 2022“ angelegt")
    await carla.send("/cohorts add jahrgang 2022")
    await carla.expect("gibt es schon")
    await carla.send("/cohorts add")
    await carla.expect("Da fehlt der Name")
    await carla.send("/cohorts add " + "x" * 65)
    await carla.expect("höchstens 64 Zeichen")
    await carla.send("/cohorts add Jahrgang 2023 🎓")
    await carla.expect("angelegt")
    await carla.send("/cohorts rename 1 Jahrgang 2022 (Hamburg)")
    await carla.expect("„Jahrgang 2022“ heißt jetzt „Jahrgang 2022 (Hamburg)“")
    await carla.send("/cohorts rename 9 X")
    await carla.expect("Nimm die Nummer aus der Liste")
    await carla.send("/cohorts")
    listing = await carla.expect("1. Jahrgang 2022 (Hamburg)")
    assert "2. Jahrgang 2023 🎓" in listing.text
    async with bot.services.db.session() as session:
        names = sorted(c.name for c in (await session.exec(select(Cohort))).all())
    assert names == ["Jahrgang 2022 (Hamburg)", "Jahrgang 2023 🎓"]


async def test_members_overview_counts(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2024")
    people = [bot.world.user(name) for name in ("Anna", "Ben", "Clara", "Dora")]
    await member(bot, people[0])
    await member(bot, people[1], paused_until=utcnow() + dt.timedelta(days=3))
    unreachable = await member(bot, people[2], cohort_name="Jahrgang 2023", region=None)
    await member(bot, people[3], paused_until=utcnow() - dt.timedelta(days=1))
    async with bot.services.db.write() as session:
        unreachable.reachable = False
        session.add(unreachable)
        await session.commit()
    carla = configured_coordinator(bot)
    await carla.send("/members")
    message = await carla.expect("Mitglieder: 4")
    assert "aktiv: 2 · pausiert: 1 · nicht erreichbar: 1" in message.text
    assert "Jahrgang 2022: 3" in message.text and "Jahrgang 2023: 1" in message.text
    assert "Jahrgang 2024: 0" in message.text
    assert "MINT-Region Nordhessen: 3" in message.text and "ohne Angabe: 1" in message.text


async def test_members_overview_is_split_when_long(bot: Harness) -> None:
    for index in range(160):
        person = bot.world.user(f"P{index}")
        await member(bot, person, region=f"MINT-Region mit einem recht langen Namen Nr. {index}")
    carla = configured_coordinator(bot)
    await carla.send("/members")
    await carla.expect("Mitglieder: 160")
    await carla.expect("nicht eingewilligt hat")  # the last section arrived
    assert len(carla.messages) >= 2
    assert all(len(message.text) <= 4096 for message in carla.messages)
    everything = "\n".join(message.text for message in carla.messages)
    assert all(f"Nr. {index}: 1" in everything for index in range(160))


async def test_invite_unknown_cohort_and_revoke(bot: Harness) -> None:
    await cohort(bot, "Jahrgang 2022")
    carla = configured_coordinator(bot)
    await carla.send("/invite Jahrgang 1900")
    await carla.expect("„Jahrgang 1900“ kenne ich nicht", "Jahrgang 2022")
    await carla.send("/invite")
    created = await carla.expect("alle Jahrgänge", "gültig bis")
    await carla.press("Link zurückziehen", message=created)
    await carla.expect("zurückgezogen")
    await carla.send("/invite revoke gibtsnicht")
    await carla.expect("gibt es nicht")
    async with bot.services.db.session() as session:
        invite = (await session.exec(select(Invite))).one()
    assert invite.revoked_at is not None and invite.cohort_id is None
    newcomer = bot.world.user("Nora")
    await newcomer.send(f"/start {invite.code}")
    await newcomer.expect("zurückgezogen")
    await newcomer.expect("Datenschutz")


async def _alumni_group_id(bot: Harness) -> int | None:
    async with bot.services.db.session() as session:
        chat = await chat_store.alumni_group(session)
    return chat.telegram_id if chat else None


async def test_setgroup_keeps_one_alumni_group_and_follows_migration(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await carla.send("/setgroup")
    await carla.expect("in der Alumni-Gruppe selbst")
    first = await bot.world.group("Alte Gruppe", admins=[carla])
    await first.send(carla, "/setgroup")
    await first.expect("„Alte Gruppe“ ist jetzt die Alumni-Gruppe")
    second = await bot.world.group("Alumni 2022–2024", admins=[carla])
    await second.send(carla, "/setgroup")
    await second.expect("statt „Alte Gruppe“")
    assert await _alumni_group_id(bot) == second.id
    old_id = second.id
    new_id = await second.migrate_to_supergroup()
    # The service message is processed asynchronously; poll the database until it moved.
    for _ in range(100):
        if await _alumni_group_id(bot) == new_id:
            break
        await bot.server.wait_for(lambda: False, 0.02)
    assert await _alumni_group_id(bot) == new_id != old_id
    second.mark_read()  # the view now reads the supergroup's own (empty) history
    await second.send(carla, "/setgroup")  # the new id works as the alumni group
    await second.expect("ist jetzt die Alumni-Gruppe")
    async with bot.services.db.session() as session:
        groups = (await session.exec(select(Chat).where(Chat.is_alumni_group == True))).all()  # noqa: E712
    assert len(groups) == 1 and groups[0].migrated_from == old_id


async def test_a_new_coordinator_gets_the_menu_at_consent(bot: Harness) -> None:
    carla: Person = configured_coordinator(bot)
    await carla.send("/start")
    await carla.expect("Datenschutz")
    await carla.press("Einverstanden")
    await carla.expect("Wie sollen dich")
    menu = await _menu(bot, carla.id)
    assert menu is not None and "setgroup" in menu


@pytest.mark.parametrize("typed", ["²", "12345678901234567890", "-5"])
async def test_a_typed_id_that_is_not_a_telegram_id_gets_the_usage(
    bot: Harness, typed: str
) -> None:
    carla = configured_coordinator(bot)
    await carla.send(f"/coordinator add {typed}")
    await carla.expect("So geht's", "/coordinator add @benutzername")
    await carla.send("/cohorts add Jahrgang 2022")
    await carla.expect("angelegt")
    await carla.send("/cohorts rename ² Jahrgang 2023")
    await carla.expect("Nimm die Nummer aus der Liste")
    await carla.send("/cohorts rename 12345678901234567890 Jahrgang 2023")
    await carla.expect("Nimm die Nummer aus der Liste")
    async with bot.services.db.session() as session:
        assert [c.name for c in (await session.exec(select(Cohort))).all()] == ["Jahrgang 2022"]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/cohorts add Jahrgang 2030", "angelegt"),
        ("/coordinator add @niemand", "finde ich nicht"),
        ("/invite revoke gibtsnicht", "gibt es nicht"),
        ("/invite Jahrgang 1900", "kenne ich nicht"),
    ],
)
async def test_a_slow_reply_does_not_hold_the_write_lock(
    bot: Harness, command: str, answer: str
) -> None:
    """The reply is sent after the change is committed: while Telegram hangs on it, every
    other writer goes on."""
    carla = configured_coordinator(bot)
    bot.server.hang_next(methods={"sendMessage"})
    await carla.send(command)

    def hanging_reply() -> bool:
        return any(
            method == "sendMessage"
            and str(params.get("chat_id")) == str(carla.id)
            and answer in str(params.get("text"))
            for method, params in bot.server.calls
        )

    assert await bot.server.wait_for(hanging_reply, 5), f"no reply to {command}"
    async with asyncio.timeout(1):  # the reply hangs for 5 s; a writer must not wait for it
        async with bot.services.db.write():
            pass
    bot.server.release_hangs()


@pytest.mark.parametrize(
    "settings_overrides",
    [{"coordinator_ids": [COORDINATOR_ID], "invite_validity": dt.timedelta(0)}],
)
async def test_an_invite_without_validity_says_it_does_not_expire(bot: Harness) -> None:
    carla = configured_coordinator(bot)
    await carla.send("/invite")
    message = await carla.expect("Einladungslink", "ohne Ablaufdatum")
    assert "gültig bis" not in message.text
    async with bot.services.db.session() as session:
        invite = (await session.exec(select(Invite))).one()
    assert invite.expires_at is None


async def test_removing_the_bot_from_the_alumni_group_unlinks_it(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    carla = configured_coordinator(bot)
    group = await bot.world.group("Alumni", admins=[carla])
    await group.send(carla, "/setgroup")
    await group.expect("ist jetzt die Alumni-Gruppe", "Zusammenfassungen")
    assert await _alumni_group_id(bot) == group.id
    other = await bot.world.group("Stammtisch", admins=[carla])
    await other.remove_bot(by=carla)  # another group: the alumni group stays linked
    await group.remove_bot(by=carla)
    assert await bot.server.wait_for(
        lambda: "alumni_group_unlinked" in caplog.text, 5, external=True
    )
    assert await _alumni_group_id(bot) is None
    assert str(group.id) in caplog.text and str(other.id) not in caplog.text
