"""When a round closes, the digest goes to the alumni group and every coordinator, once."""

from __future__ import annotations

import datetime as dt

import factories
import pytest
from checkin_steps import QUIET_HOURS, next_local_time, quiet_evening
from outbox_steps import outbox_rows, settled_rows, until_outbox
from sqlmodel import select

from bot.digest import delivery as digest
from bot.rounds import lifecycle as rounds
from sandbox.driver import ChatView, Group, Person
from sandbox.harness import Harness
from storage.tables import DeliveryStatus, Digest, Member, OutboxMessage, Round

SOCIAL = "Social Media"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """No bootstrap coordinator who is not in the sandbox; a test adds one where it matters."""
    return {"coordinator_ids": []}


async def digest_rows(bot: Harness) -> list[Digest]:
    async with bot.services.db.session() as session:
        return list((await session.exec(select(Digest))).all())


def digests_in(chat: ChatView, number: int) -> list[str]:
    return [m.text for m in chat.messages if f"Digest Runde {number}" in m.text]


async def open_round_with_three_choices(
    bot: Harness, *, more: list[factories.AnswerSpec] | None = None
) -> tuple[Person, Group, Round]:
    """Anna (visible to all), Ben (coordinators only) and Cleo (anonymous) answered."""
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    anna = await factories.member(bot, bot.world.user("Anna"))
    ben = await factories.member(bot, bot.world.user("Ben"))
    cleo = await factories.member(bot, bot.world.user("Cleo"))
    round_ = await factories.round_with_answers(
        bot,
        open=True,
        answers=[
            (anna, 1, "Anna für alle", [SOCIAL]),
            (ben, 1, "Ben nur Koordination", [SOCIAL]),
            (cleo, 1, "Cleo anonym", [SOCIAL]),
            *(more or []),
        ],
        visibility={ben.id or 0: "coordinators", cleo.id or 0: "anonymous"},
    )
    group = await factories.alumni_group(bot, "Alumni", members=[carla])
    return carla, group, round_


async def test_round_close_posts_to_the_group_and_each_coordinator_once(bot: Harness) -> None:
    carla, group, _ = await open_round_with_three_choices(bot)
    dora = bot.world.user("Dora", language="en")
    await factories.member(bot, dora, coordinator=True, language="en")

    await carla.send("/round close")
    post = await group.expect("Digest Runde 1")
    private = await carla.expect("Digest Runde 1")
    english = await dora.expect("Digest of round 1")

    assert "Zwischenstand" not in post.text
    assert "Anna für alle" in post.text and "anonym: Cleo anonym" in post.text
    assert "Ben" not in post.text and "🔒" not in post.text
    assert "🔒 Ben (MINT-Region Nordhessen): Ben nur Koordination" in private.text
    assert "🔒 Ben (" in english.text and "Who can help?" in english.text
    rows = await settled_rows(bot, "digest:")
    assert {row.purpose_key for row in rows} == {
        "digest:round:1:group:part:1",
        f"digest:round:1:coordinator:{carla.id}:part:1",
        f"digest:round:1:coordinator:{dora.id}:part:1",
    }
    assert all(row.status == DeliveryStatus.SENT and row.attempts == 1 for row in rows)
    assert [(d.round_id, d.kind) for d in await digest_rows(bot)] == [(1, "scheduled")]

    # A second close (or a caller that calls the hook twice) adds nothing.
    async with bot.services.db.write() as session:
        stored = await session.get(Round, 1)
        assert stored is not None
        await digest.on_round_closed(session, services=bot.services, round=stored)
        await session.commit()
    await carla.send("/round close")
    await carla.next_message()
    await group.expect_nothing(within=0.2)
    assert len(await outbox_rows(bot, "digest:")) == 3
    assert len(digests_in(group, 1)) == 1 and len(digests_in(carla, 1)) == 1


async def test_restart_right_after_the_close_posts_once(bot: Harness) -> None:
    """Closed and committed, then the bot restarts before or while the outbox sends."""
    more: list[factories.AnswerSpec] = [
        (
            await factories.member(bot, bot.world.user(f"Alum{i:02d}"), region=f"Netz {i:02d}"),
            2,
            f"Beitrag {i:02d}: " + "Wir erweitern unser MINT-Netzwerk. " * 8,
            [SOCIAL],
        )
        for i in range(40)
    ]  # enough text for a digest in several parts
    carla, group, round_ = await open_round_with_three_choices(bot, more=more)

    # The rounds feature's own close, committed; the restart follows at once.
    async with bot.services.db.write() as session:
        stored = await session.get(Round, round_.id)
        assert stored is not None
        await rounds.close_round(session, services=bot.services, round_=stored, now=bot.clock.now())
        await session.commit()
    await bot.restart()

    rows = await settled_rows(bot, "digest:round:1:group:")
    total = len(rows)
    assert total >= 3
    assert all(row.status == DeliveryStatus.SENT for row in rows)
    # Every part exactly once, in order.
    assert [m.text.rsplit("\n", 1)[1] for m in group.messages] == [
        f"({i}/{total})" for i in range(1, total + 1)
    ]
    assert "Digest Runde 1" in group.messages[0].text
    await carla.expect("Digest Runde 1", "🔒 Ben")
    assert len(await digest_rows(bot)) == 1

    await bot.restart()  # and once more: nothing is sent again
    await group.expect_nothing(within=0.2)
    assert len(group.messages) == total


async def test_a_round_that_ran_out_while_the_bot_was_down_posts_once_on_start(
    bot: Harness,
) -> None:
    carla, group, round_ = await open_round_with_three_choices(bot)
    await bot.stop()
    async with bot.services.db.write() as session:
        stored = await session.get(Round, round_.id)
        assert stored is not None
        stored.closes_at = bot.clock.now() - dt.timedelta(minutes=5)
        session.add(stored)
        await session.commit()

    await bot.start()
    post = await group.expect("Digest Runde 1")
    assert "Anna für alle" in post.text
    await carla.expect("Digest Runde 1", "🔒 Ben")
    await bot.restart()
    await group.expect_nothing(within=0.2)
    assert len(digests_in(group, 1)) == 1
    assert len(await digest_rows(bot)) == 1
    assert all(row.status == DeliveryStatus.SENT for row in await settled_rows(bot, "digest:"))


async def test_without_a_linked_group_only_coordinators_get_it(bot: Harness) -> None:
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    anna = await factories.member(bot, bot.world.user("Anna"))
    blocked = bot.world.user("Blockiert")
    await factories.member(bot, blocked, coordinator=True)
    async with bot.services.db.write() as session:  # a coordinator who blocked the bot
        row = (await session.exec(select(Member).where(Member.telegram_id == blocked.id))).one()
        row.reachable = False
        session.add(row)
        await session.commit()
    await factories.round_with_answers(bot, open=True, answers=[(anna, 1, "Hallo", [])])
    # A coordinator named in COORDINATOR_IDS who never set up a profile gets it too.
    erik = bot.world.user("Erik", language="en")
    await erik.send("hallo")
    await bot.restart(coordinator_ids=[erik.id])

    await carla.send("/round close")
    await carla.expect("Digest Runde 1", "Hallo")
    await erik.expect("Digest Runde 1", "Hallo")  # no profile, so the default language
    rows = await settled_rows(bot, "digest:")
    assert {row.purpose_key for row in rows} == {
        f"digest:round:1:coordinator:{carla.id}:part:1",
        f"digest:round:1:coordinator:{erik.id}:part:1",
    }
    assert all(row.status == DeliveryStatus.SENT for row in rows)


async def test_a_waiting_digest_forgets_a_member_who_erased_her_data(bot: Harness) -> None:
    """The digest waits out the quiet hours; Anna erases herself meanwhile; the group and the
    coordinator then get the digest without her, and her text is nowhere in the database."""
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    anna_person = bot.world.user("Anna")
    anna = await factories.member(bot, anna_person)
    ben = await factories.member(bot, bot.world.user("Ben"))
    await factories.round_with_answers(
        bot,
        open=True,
        answers=[(anna, 1, "Annas Geheimprojekt", [SOCIAL]), (ben, 1, "Bens Barcamp", [SOCIAL])],
    )
    group = await factories.alumni_group(bot, "Alumni", members=[carla, anna_person])
    await quiet_evening(bot)
    await bot.restart(quiet_hours=QUIET_HOURS)

    await carla.send("/round close")
    await carla.expect("geschlossen")
    waiting = await outbox_rows(bot, "digest:")
    assert waiting and all(row.status == DeliveryStatus.PENDING for row in waiting)
    assert any("Annas Geheimprojekt" in str(row.payload) for row in waiting)

    await anna_person.send("/forget")
    await anna_person.expect("wirklich alles")
    await anna_person.press("Ja, alles löschen")
    await anna_person.expect("Ich habe alles über dich gelöscht")

    rows = await outbox_rows(bot, "digest:")
    withdrawn = [row for row in rows if row.status == DeliveryStatus.WITHDRAWN]
    assert {row.purpose_key for row in withdrawn} == {row.purpose_key for row in waiting}
    assert not any("Annas Geheimprojekt" in str(row.payload) for row in rows)
    reissued = [row for row in rows if ":reissue:" in row.purpose_key]
    assert {row.chat_id for row in reissued} == {group.id, carla.id}
    assert all("Bens Barcamp" in str(row.payload) for row in reissued)

    # The night passes while the bot is down.
    await bot.stop()
    await bot.clock.move_to(next_local_time(bot, 8))
    await bot.start()
    post = await group.expect("Digest Runde 1")
    private = await carla.expect("Digest Runde 1")
    for text in (post.text, private.text):
        assert "Bens Barcamp" in text and "Anna" not in text
    assert len(digests_in(group, 1)) == 1 and len(digests_in(carla, 1)) == 1


async def test_a_withdrawn_request_is_sent_again_with_its_options(bot: Harness) -> None:
    """Carla asked for `/digest gruppe anonym` in the open round; the post is still waiting
    (a failed send, retried later) when Anna erases herself. The group then gets the digest
    again as Carla asked for it: without names, and still marked as an interim one."""
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    anna_person = bot.world.user("Anna")
    anna = await factories.member(bot, anna_person)
    ben = await factories.member(bot, bot.world.user("Ben"))
    await factories.round_with_answers(
        bot,
        open=True,
        answers=[(anna, 1, "Annas Geheimprojekt", [SOCIAL]), (ben, 1, "Bens Barcamp", [SOCIAL])],
    )
    group = await factories.alumni_group(bot, "Alumni", members=[carla, anna_person])
    await bot.restart(send_retry_backoff=dt.timedelta(hours=1))

    # Asked in the group itself, so the post is the only message the bot sends.
    bot.server.fail_next(1, status=500, methods={"sendMessage"})
    await group.send(carla, "/digest gruppe anonym")
    waiting = await until_outbox(  # the failed attempt is recorded; the retry is an hour away
        bot,
        lambda rows: (
            bool(rows) and all(row.status == DeliveryStatus.PENDING and row.error for row in rows)
        ),
        "the failed attempt to be recorded",
        prefix="digest:",
    )
    assert [row.purpose_key.split(":")[3] for row in waiting] == ["request"]
    assert "<i>anonym</i>: Annas Geheimprojekt" in waiting[0].payload["text"]

    await anna_person.send("/forget")
    await anna_person.expect("wirklich alles")
    await anna_person.press("Ja, alles löschen")
    await anna_person.expect("Ich habe alles über dich gelöscht")

    rows = await outbox_rows(bot, "digest:")
    assert [row.status for row in rows if ":request:" in row.purpose_key] == [
        DeliveryStatus.WITHDRAWN
    ]
    reissued = [row for row in rows if ":reissue:" in row.purpose_key]
    assert [row.chat_id for row in reissued] == [group.id]
    text = str(reissued[0].payload["text"])
    assert "Bens Barcamp" in text and "Anna" not in text
    assert "<i>anonym</i>: Bens Barcamp" in text and "ohne Namen" in text
    assert "Zwischenstand" in text  # the round is still open

    await bot.clock.advance(dt.timedelta(hours=1))  # the retry falls due
    post = await group.expect("Digest Runde 1", "anonym: Bens Barcamp")
    assert "Zwischenstand" in post.text and "Ben (" not in post.text
    assert len(digests_in(group, 1)) == 1


async def test_a_partly_delivered_digest_is_not_sent_again_from_the_start(bot: Harness) -> None:
    """Part 1 already reached the group when Anna erases herself: the group gets the rest
    re-rendered, not part 1 a second time."""
    carla = bot.world.user("Carla")
    await factories.member(bot, carla, coordinator=True)
    anna_person = bot.world.user("Anna")
    anna = await factories.member(bot, anna_person)
    others = [await factories.member(bot, bot.world.user(f"Mitglied{i}")) for i in range(40)]
    long_text = "Wir bauen gerade ein Netzwerk für Honorarkräfte auf und suchen Austausch. " * 2
    await factories.round_with_answers(
        bot,
        open=True,
        answers=[(anna, 1, "Annas Geheimprojekt", [SOCIAL])]
        + [(member, 1, long_text, [SOCIAL]) for member in others],
    )
    group = await factories.alumni_group(bot, "Alumni", members=[carla, anna_person])
    await quiet_evening(bot)
    await bot.restart(quiet_hours=QUIET_HOURS)
    await carla.send("/round close")
    await carla.expect("geschlossen")
    group_rows = await outbox_rows(bot, "digest:round:1:group:")
    assert len(group_rows) >= 2, "the test needs a digest of several parts"
    async with bot.services.db.write() as session:  # part 1 went out before the quiet hours
        first = await session.get(OutboxMessage, group_rows[0].id)
        assert first is not None and first.purpose_key.endswith(":part:1")
        first.status, first.payload, first.sent_at = DeliveryStatus.SENT, {}, bot.clock.now()
        session.add(first)
        await session.commit()

    await anna_person.send("/forget")
    await anna_person.expect("wirklich alles")
    await anna_person.press("Ja, alles löschen")
    await anna_person.expect("Ich habe alles über dich gelöscht")

    reissued = [
        row
        for row in await outbox_rows(bot, "digest:")
        if ":reissue:" in row.purpose_key and row.chat_id == group.id
    ]
    parts = sorted(int(row.purpose_key.rpartition(":part:")[2]) for row in reissued)
    assert parts and parts[0] == 2, f"the group would get part 1 twice: {parts}"
    assert not any("Annas Geheimprojekt" in str(row.payload) for row in reissued)
