"""The delivery outbox, through the running bot and the sandbox.

Each test enqueues as a feature would, lets the real worker deliver through PTB, and checks
both what arrived in the sandbox and what the row in the database says happened.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from checkin_steps import QUIET_HOURS, next_local_time, quiet_evening
from outbox_steps import settled_rows
from sqlmodel import select

from bot.outbox import Outbox
from bot.payloads import document_payload, message_payload
from bot.ui import Button
from sandbox.driver import Person
from sandbox.harness import Harness
from sandbox.limits import SandboxLimits
from storage import chats as chat_store
from storage import outbox as store
from storage.db import Database
from storage.tables import Chat, DeliveryStatus, OutboxMessage

FINAL = {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.UNREACHABLE}


async def enqueue(
    bot: Harness, key: str, chat_id: int, text: str = "Hallo", **options: object
) -> bool:
    """Queue one message the way features do: in a transaction, then wake the worker."""
    async with bot.services.db.write() as session:
        added = await bot.services.outbox.enqueue(
            session, key=key, chat_id=chat_id, payload=message_payload(text), **options
        )
        await session.commit()
    bot.services.outbox.wake()
    return added


async def row(bot: Harness, key: str) -> OutboxMessage:
    async with bot.services.db.session() as session:
        found = await store.get_by_key(session, purpose_key=key)
    assert found is not None, f"no outbox row {key!r}"
    return found


async def settled(bot: Harness, key: str, timeout: float = 5.0) -> OutboxMessage:
    """The row once it has a final outcome; waits on the worker's cycles, not on the clock."""
    outbox = bot.services.outbox
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        cycles = outbox.cycles
        current = await row(bot, key)
        if current.status in FINAL:
            return current
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"row {key!r} still {current.status}: {current.error}")
        await outbox.wait_for_cycle(after=cycles, timeout=remaining)


def started(bot: Harness, name: str, language: str = "de") -> Person:
    person = bot.world.user(name, language=language)
    person.user.started_bot = True  # has opened the chat with the bot before
    return person


def send_calls(bot: Harness, chat_id: int) -> int:
    return sum(
        1
        for method, params in bot.server.calls
        if method == "sendMessage" and int(params["chat_id"]) == chat_id
    )


# ------------------------------------------------------------------ at most once


async def test_a_purpose_key_is_sent_once(bot: Harness) -> None:
    anna = started(bot, "Anna")
    assert await enqueue(bot, "test:1:anna", anna.id, "Erste <b>Runde</b>")
    assert not await enqueue(bot, "test:1:anna", anna.id, "noch einmal")
    message = await anna.expect("Erste Runde")
    sent = await settled(bot, "test:1:anna")
    assert sent.status == DeliveryStatus.SENT and sent.error is None
    assert sent.message_id == message.message_id and sent.sent_at is not None
    assert sent.attempts == 1
    # Even long after it was sent, the same key is not queued again.
    assert not await enqueue(bot, "test:1:anna", anna.id, "und nochmal")
    await anna.expect_nothing(within=0.05)
    assert [m.text for m in anna.messages] == ["Erste Runde"]


async def test_polls_and_documents_go_out_too(bot: Harness) -> None:
    group = await bot.world.group("Alumni")
    keyboard = [[Button("Dabei", data="rsvp:1")]]
    async with bot.services.db.write() as session:
        outbox = bot.services.outbox
        await outbox.enqueue(
            session,
            key="test:poll",
            chat_id=group.id,
            method="send_poll",
            payload={"question": "Wann?", "options": ["Mo", "Di"]},
        )
        await outbox.enqueue(
            session,
            key="test:doc",
            chat_id=group.id,
            method="send_document",
            payload=document_payload(filename="digest.csv", content=b"a;b", caption="<b>CSV</b>"),
        )
        await outbox.enqueue(
            session,
            key="test:rsvp",
            chat_id=group.id,
            payload=message_payload("Treffen", buttons=keyboard),
        )
        await session.commit()
    bot.services.outbox.wake()
    await group.wait_until(lambda: len(group.messages) == 3, "three deliveries")
    poll, document, invitation = group.messages
    assert poll.poll is not None and not poll.poll["is_anonymous"]
    assert document.document is not None and document.document["content"] == b"a;b"
    assert document.text == "CSV"
    assert invitation.button_texts == ["Dabei"]
    for key in ("test:poll", "test:doc", "test:rsvp"):
        assert (await settled(bot, key)).status == DeliveryStatus.SENT


async def test_rows_queued_while_the_bot_was_down_go_out_after_start(bot: Harness) -> None:
    anna, ben = started(bot, "Anna"), started(bot, "Ben")
    await bot.stop()
    # Another process (a CLI command, a crashed bot's last transaction) queued these.
    db = Database(bot.settings.database_url)
    offline = Outbox(db=db, settings=bot.settings, clock=bot.clock)
    async with db.write() as session:
        for person in (anna, ben):
            await offline.enqueue(
                session,
                key=f"test:down:{person.id}",
                chat_id=person.id,
                payload=message_payload("Moin"),
            )
        await session.commit()
    await db.close()
    assert bot.server.sent_to(anna.id) == []

    await bot.start()
    await anna.expect("Moin")
    await ben.expect("Moin")
    assert (await settled(bot, f"test:down:{anna.id}")).status == DeliveryStatus.SENT
    assert (await settled(bot, f"test:down:{ben.id}")).status == DeliveryStatus.SENT


async def _crashed_row(bot: Harness, key: str, chat_id: int, text: str, status: str) -> None:
    """What a crash leaves behind: a row claimed for a cycle, or one whose call had begun."""
    async with bot.services.db.write() as session:
        session.add(
            OutboxMessage(
                purpose_key=key,
                chat_id=chat_id,
                method="send_message",
                payload=message_payload(text),
                status=status,
                attempts=1,
            )
        )
        await session.commit()


async def test_a_row_in_flight_at_a_crash_is_never_sent_again(bot: Harness) -> None:
    anna = started(bot, "Anna")
    await bot.stop()
    await _crashed_row(bot, "test:crash", anna.id, "vielleicht schon da", DeliveryStatus.SENDING)
    await enqueue(bot, "test:after-crash", anna.id, "danach")  # bot stopped: only queued

    await bot.start()
    await anna.expect("danach")
    crashed = await settled(bot, "test:crash")
    assert crashed.status == DeliveryStatus.FAILED
    assert crashed.error is not None and "not repeated" in crashed.error
    assert [m.text for m in anna.messages] == ["danach"]
    anna.assert_all_read()


async def test_reserved_rows_go_out_after_a_crash(bot: Harness) -> None:
    """Claimed for a cycle, no call made yet: the crash must not write them off."""
    anna = started(bot, "Anna")
    await bot.stop()
    for part in (1, 2, 3):
        await _crashed_row(
            bot, f"digest:round:9:group:part:{part}", anna.id, f"Teil {part}", "reserved"
        )
    await bot.start()
    for part in (1, 2, 3):
        await anna.expect(f"Teil {part}")
    rows = await settled_rows(bot, "digest:round:9:")
    assert [(row.status, row.attempts) for row in rows] == [(DeliveryStatus.SENT, 1)] * 3
    anna.assert_all_read()


async def test_an_uncertain_prompt_is_sent_again_after_a_crash(bot: Harness) -> None:
    """Check-in prompts are at least once: better twice than never."""
    anna = started(bot, "Anna")
    await bot.stop()
    await _crashed_row(bot, "checkin:test:prompt", anna.id, "Frage?", "sending")
    await bot.start()
    await anna.expect("Frage?")
    assert (await settled(bot, "checkin:test:prompt")).status == DeliveryStatus.SENT


@pytest.mark.parametrize("settings_overrides", [{"request_timeout": dt.timedelta(seconds=0.3)}])
async def test_a_timed_out_digest_part_is_not_repeated(bot: Harness) -> None:
    """The call went out and its answer was lost: Telegram may have delivered it."""
    anna = started(bot, "Anna")
    bot.server.hang_next(methods={"sendMessage"})
    await enqueue(bot, "digest:round:9:group:part:1", anna.id, "Teil 1")
    failed = await settled(bot, "digest:round:9:group:part:1")
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert failed.error is not None and "may have arrived" in failed.error
    assert send_calls(bot, anna.id) == 1


async def test_a_failing_still_wanted_check_keeps_the_message(bot: Harness) -> None:
    anna = started(bot, "Anna")
    answers = iter([RuntimeError("database is locked"), True])

    async def flaky(session: object, row: OutboxMessage, now: dt.datetime) -> bool:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    bot.services.outbox.still_wanted["test:flaky"] = flaky
    await enqueue(bot, "test:flaky", anna.id, "trotzdem da")
    await anna.expect("trotzdem da")
    assert (await settled(bot, "test:flaky")).status == DeliveryStatus.SENT


@pytest.mark.parametrize("settings_overrides", [{"request_timeout": dt.timedelta(seconds=0.3)}])
async def test_a_restart_during_a_hanging_send_delivers_exactly_once(bot: Harness) -> None:
    anna = started(bot, "Anna")
    bot.services.outbox.at_least_once.add("test:hang")  # the sandbox's hang never delivers
    bot.server.hang_next(methods={"sendMessage"})
    await enqueue(bot, "test:hang", anna.id, "einmal")
    await anna.wait_until(lambda: send_calls(bot, anna.id) == 1, "the send to start")
    await bot.restart()  # stops while the call hangs; the worker winds down cleanly
    await anna.expect("einmal")
    sent = await settled(bot, "test:hang")
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 2
    assert [m.text for m in anna.messages] == ["einmal"]


# ------------------------------------------------------------------ Telegram pushing back


async def test_429_is_honoured_and_every_message_arrives_once(bot: Harness) -> None:
    # The sandbox is strict; the bot's own limiter is set far higher, so Telegram says no.
    bot.server.limits = SandboxLimits(messages_per_second=2, retry_after_seconds=1)
    people = [started(bot, name) for name in ("Anna", "Ben", "Clara")]
    async with bot.services.db.write() as session:
        for person in people:
            await bot.services.outbox.enqueue(
                session,
                key=f"test:flood:{person.id}",
                chat_id=person.id,
                payload=message_payload(f"Hallo {person.name}"),
            )
        await session.commit()
    bot.services.outbox.wake()
    for person in people:
        await person.expect(f"Hallo {person.name}")
    refused = [error for method, error in bot.server.rejected if method == "sendMessage"]
    assert refused and all(error.code == 429 for error in refused)
    for person in people:
        assert (await settled(bot, f"test:flood:{person.id}")).status == DeliveryStatus.SENT
        assert len(person.messages) == 1


async def test_5xx_is_retried_with_backoff_and_order_is_kept(bot: Harness) -> None:
    anna = started(bot, "Anna")
    bot.server.fail_next(2, status=502, description="Bad Gateway", methods={"sendMessage"})
    async with bot.services.db.write() as session:
        for part in (1, 2, 3):
            await bot.services.outbox.enqueue(
                session,
                key=f"test:digest:{part}",
                chat_id=anna.id,
                payload=message_payload(f"Teil {part}/3"),
            )
        await session.commit()
    bot.services.outbox.wake()
    await anna.wait_until(lambda: len(anna.messages) == 3, "all three parts")
    assert [m.text for m in anna.messages] == ["Teil 1/3", "Teil 2/3", "Teil 3/3"]
    first = await settled(bot, "test:digest:1")
    assert first.status == DeliveryStatus.SENT and first.attempts == 3
    assert first.error is None  # the outcome is "sent"; retries showed in the log
    later = await settled(bot, "test:digest:3")
    assert later.status == DeliveryStatus.SENT and later.attempts == 1  # waited, not retried


@pytest.mark.parametrize("settings_overrides", [{"request_timeout": dt.timedelta(seconds=0.3)}])
async def test_a_hanging_call_is_retried(bot: Harness) -> None:
    anna = started(bot, "Anna")
    bot.services.outbox.at_least_once.add("test:slow")
    bot.server.hang_next(methods={"sendMessage"})
    await enqueue(bot, "test:slow", anna.id, "angekommen")
    await anna.expect("angekommen")
    sent = await settled(bot, "test:slow")
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 2
    assert len(anna.messages) == 1


@pytest.mark.parametrize("settings_overrides", [{"send_max_attempts": 3}])
async def test_gives_up_after_send_max_attempts(bot: Harness) -> None:
    anna = started(bot, "Anna")
    bot.server.fail_next(10, status=500, methods={"sendMessage"})
    await enqueue(bot, "test:doomed", anna.id, "nie")
    failed = await settled(bot, "test:doomed")
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 3
    assert failed.error == "gave up after 3 attempts: Internal Server Error"
    assert send_calls(bot, anna.id) == 3 and anna.messages == []


async def test_a_message_telegram_refuses_fails_with_the_reason(bot: Harness) -> None:
    anna = started(bot, "Anna")
    await enqueue(bot, "test:broken", anna.id, "<b>kaputt")
    await enqueue(bot, "test:fine", anna.id, "heil")
    await anna.expect("heil")
    broken = await settled(bot, "test:broken")
    assert broken.status == DeliveryStatus.FAILED and broken.attempts == 1
    assert broken.error is not None and "parse entities" in broken.error


async def test_403_marks_the_chat_unreachable_and_skips_its_other_rows(bot: Harness) -> None:
    anna, ben = started(bot, "Anna"), started(bot, "Ben")
    told: list[int] = []

    async def remember(session: object, chat_id: int, now: dt.datetime) -> None:
        told.append(chat_id)

    bot.services.outbox.unreachable_hooks.append(remember)
    await anna.block()
    async with bot.services.db.write() as session:
        for key, person in (("1", anna), ("2", anna), ("3", ben), ("4", anna)):
            await bot.services.outbox.enqueue(
                session,
                key=f"test:block:{key}",
                chat_id=person.id,
                payload=message_payload(f"Nachricht {key}"),
            )
        await session.commit()
    bot.services.outbox.wake()
    await ben.expect("Nachricht 3")

    first = await settled(bot, "test:block:1")
    assert first.status == DeliveryStatus.UNREACHABLE
    assert first.error == "Forbidden: bot was blocked by the user"
    for key in ("2", "4"):
        skipped = await settled(bot, f"test:block:{key}")
        assert skipped.status == DeliveryStatus.UNREACHABLE and skipped.attempts == 0
    assert send_calls(bot, anna.id) == 1
    assert told == [anna.id]


async def test_a_migrated_group_gets_the_row_under_its_new_id(bot: Harness) -> None:
    group = await bot.world.group("Alumni-Gruppe")
    old_id = group.id
    async with bot.services.db.write() as session:
        await chat_store.upsert_chat(session, telegram_id=old_id, type="group", title="Alumni")
        await session.commit()
    new_id = await group.migrate_to_supergroup()
    async with bot.services.db.write() as session:
        for part in (1, 2):
            await bot.services.outbox.enqueue(
                session,
                key=f"test:migrate:{part}",
                chat_id=old_id,
                payload=message_payload(f"Digest {part}"),
            )
        await session.commit()
    bot.services.outbox.wake()
    await group.wait_until(lambda: len(group.messages) == 2, "both parts in the supergroup")
    assert [m.text for m in bot.server.sent_to(new_id)] == ["Digest 1", "Digest 2"]
    assert bot.server.sent_to(old_id) == []
    for part in (1, 2):
        sent = await settled(bot, f"test:migrate:{part}")
        assert sent.status == DeliveryStatus.SENT and sent.chat_id == new_id
    async with bot.services.db.session() as session:
        chats = (await session.exec(select(Chat))).all()
    assert [(c.telegram_id, c.type, c.migrated_from) for c in chats] == [
        (new_id, "supergroup", old_id)
    ]


# ------------------------------------------------------------------ quiet hours


@pytest.mark.parametrize("settings_overrides", [{"quiet_hours": QUIET_HOURS}])
async def test_quiet_hours_defer_a_row_until_they_end(bot: Harness) -> None:
    await quiet_evening(bot)
    anna = started(bot, "Anna")
    await enqueue(bot, "test:night", anna.id, "Erinnerung")
    await enqueue(bot, "test:asked", anna.id, "Antwort", respect_quiet_hours=False)
    await anna.expect("Antwort")
    deferred = await row(bot, "test:night")
    assert deferred.status == DeliveryStatus.PENDING and deferred.attempts == 0
    assert deferred.not_before == next_local_time(bot, 8)
    assert [m.text for m in anna.messages] == ["Antwort"]

    await bot.clock.move_to(next_local_time(bot, 8))
    await anna.expect("Erinnerung")
    assert (await settled(bot, "test:night")).status == DeliveryStatus.SENT
    anna.assert_all_read()
