"""The sandbox itself: Telegram's objects, limits, error contract and faults.

Talks to the sandbox the way any client would (a plain PTB `Bot`, or raw HTTP for the wire
format), so what is checked here is what the real bot will meet.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.clock import Clock
from sandbox.driver import PollClosed, VoteRefused, World
from sandbox.harness import Harness
from sandbox.limits import FloodControl, SandboxLimits, TooManyRequests
from sandbox.server import SandboxServer

NOW = 1_800_000_000.0  # a fixed Telegram "now" for tests about time windows


@pytest.fixture
async def tg(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    """A plain PTB bot (no Application, no rate limiter) talking to the sandbox."""
    async with Bot(
        sandbox.token,
        base_url=sandbox.base_url,
        # Generous: on a loaded machine connecting alone can take seconds; hang tests use their own.
        request=HTTPXRequest(read_timeout=10, connect_timeout=10),
        get_updates_request=HTTPXRequest(read_timeout=8),
    ) as bot:
        yield bot


@pytest.fixture
def world(sandbox: SandboxServer) -> World:
    return World(sandbox)


async def raw(sandbox: SandboxServer, method: str, **params: object) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{sandbox.base_url}{sandbox.token}/{method}", json=params)


# ------------------------------------------------------------------ objects PTB must parse


async def test_get_me_is_a_full_bot_user(tg: Bot, sandbox: SandboxServer) -> None:
    me = await tg.get_me()
    assert me.is_bot and me.username == "alumni_test_bot"
    assert me.id == int(sandbox.token.split(":")[0])
    assert me.can_join_groups is True and me.can_read_all_group_messages is False


async def test_sent_message_is_complete_with_dates_in_seconds(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    anna = world.user("Anna", last_name="Schmidt", username="anna_s")
    await anna.send("/start")
    message = await tg.send_message(anna.id, "<b>Hallo</b> &amp; willkommen", parse_mode="HTML")
    assert message.chat.id == anna.id and message.chat.type == "private"
    assert message.chat.last_name == "Schmidt" and message.chat.username == "anna_s"
    assert message.from_user is not None and message.from_user.is_bot
    assert message.text == "Hallo & willkommen"
    assert message.entities[0].type == "bold" and message.entities[0].length == 5
    assert abs(message.date.timestamp() - time.time()) < 5

    wire = (await raw(sandbox, "sendMessage", chat_id=anna.id, text="zwei")).json()
    assert wire["ok"] is True and isinstance(wire["result"]["date"], int)
    assert [m.text for m in anna.messages] == ["Hallo & willkommen", "zwei"]


async def test_edit_delete_and_callback_answers(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    anna = world.user("Anna")
    await anna.send("/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
    sent = await tg.send_message(anna.id, "Frage?", reply_markup=keyboard)

    edited = await tg.edit_message_text("Frage (geändert)?", anna.id, sent.message_id)
    assert isinstance(edited, Message) and edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await tg.edit_message_text("Frage (geändert)?", anna.id, sent.message_id)
    await tg.edit_message_reply_markup(anna.id, sent.message_id, reply_markup=keyboard)
    assert anna.last.button_texts == ["Ja"]

    query_id = await anna.press("Ja")
    assert await tg.answer_callback_query(query_id, text="Danke")
    assert (await anna.callback_answer(query_id))["text"] == "Danke"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await tg.answer_callback_query(query_id)

    assert await tg.delete_message(anna.id, sent.message_id)
    assert anna.messages == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await tg.delete_message(anna.id, sent.message_id)


async def test_polls_documents_and_photos_parse(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    anna = world.user("Anna")
    group = await world.group("Alumni", members=[anna])
    poll_message = await tg.send_poll(group.id, "Wann treffen wir uns?", ["Mo", "Di"])
    assert poll_message.poll is not None and poll_message.poll.is_anonymous
    await anna.vote(group.last, [1])
    stopped = await tg.stop_poll(group.id, poll_message.message_id)
    assert stopped.is_closed and stopped.options[1].voter_count == 1
    with pytest.raises(BadRequest, match=r"(?i)already been closed"):
        await tg.stop_poll(group.id, poll_message.message_id)

    document = await tg.send_document(
        group.id, b"a;b\n", filename="x.csv", caption="<i>CSV</i>", parse_mode="HTML"
    )
    assert document.document is not None and document.document.file_name == "x.csv"
    assert document.caption == "CSV"
    assert group.last.document is not None and group.last.document["content"] == b"a;b\n"
    photo = await tg.send_photo(group.id, b"\x89PNG....")
    assert photo.photo and photo.photo[0].width == 100


async def test_chats_members_and_commands(tg: Bot, sandbox: SandboxServer, world: World) -> None:
    anna, ben = world.user("Anna"), world.user("Ben")
    group = await world.group("Alumni", members=[ben], admins=[anna])
    info = await tg.get_chat(group.id)
    assert isinstance(info, ChatFullInfo) and info.title == "Alumni"
    assert isinstance(await tg.get_chat_member(group.id, anna.id), ChatMemberAdministrator)
    assert isinstance(await tg.get_chat_member(group.id, ben.id), ChatMemberMember)
    outsider = world.user("Carla")
    assert isinstance(await tg.get_chat_member(group.id, outsider.id), ChatMemberLeft)
    admins = await tg.get_chat_administrators(group.id)
    assert [admin.user.id for admin in admins] == [anna.id]
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.get_chat(-123)

    commands = [BotCommand("start", "Los geht's")]
    await tg.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(), language_code="de")
    got = await tg.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="de")
    assert [c.command for c in got] == ["start"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await tg.set_my_commands([BotCommand("Start!", "x")])
    # A private chat exists for a bot only after the person has started it.
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await tg.set_my_commands(commands, scope=BotCommandScopeChat(outsider.id))
    await outsider.send("/start")
    assert await tg.set_my_commands(commands, scope=BotCommandScopeChat(outsider.id))


# ------------------------------------------------------------------ the error contract


async def test_errors_are_non_2xx_with_telegrams_body(sandbox: SandboxServer) -> None:
    response = await raw(sandbox, "sendMessage", chat_id=42, text="hi")
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: chat not found",
    }
    unknown = await raw(sandbox, "sendTelepathy", chat_id=42)
    assert unknown.status_code == 404 and unknown.json()["ok"] is False
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{sandbox.base_url}1:wrongtoken/getMe")
    assert wrong.status_code == 401 and wrong.json()["description"] == "Unauthorized"


async def test_unknown_method_and_wrong_token_are_errors_for_ptb(
    tg: Bot, sandbox: SandboxServer
) -> None:
    with pytest.raises(EndPointNotFound):
        await tg.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    stranger = Bot("1:" + "x" * 30, base_url=sandbox.base_url)
    with pytest.raises(InvalidToken):
        await stranger.initialize()


# ------------------------------------------------------------------ Telegram's limits


async def test_text_length_counts_after_entity_parsing(tg: Bot, world: World) -> None:
    anna = world.user("Anna")
    await anna.send("/start")
    full = "x" * 4096
    await tg.send_message(anna.id, f"<b>{full}</b>", parse_mode="HTML")  # 4103 raw, 4096 shown
    assert len(anna.last.text) == 4096
    await tg.send_message(anna.id, "😀" * 2048)  # 2 UTF-16 units each: exactly at the limit
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await tg.send_message(anna.id, full + "y")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await tg.send_message(anna.id, "😀" * 2049)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await tg.send_message(anna.id, "<b> </b>", parse_mode="HTML")


@pytest.mark.parametrize(
    "html",
    ["<b>offen", "<b>falsch</i>", "<div>nein</div>", "1 < 2", "&nbsp;", "<br/>", "<span>x</span>"],
)
async def test_html_telegram_rejects_cannot_parse_entities(
    tg: Bot, world: World, html: str
) -> None:
    anna = world.user("Anna")
    await anna.send("/start")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await tg.send_message(anna.id, html, parse_mode="HTML")
    assert anna.messages == []


async def test_html_telegram_accepts(tg: Bot, world: World) -> None:
    anna = world.user("Anna")
    await anna.send("/start")
    text = (
        '<a href="https://ihk.de">IHK</a> &lt;MINT&gt; &amp; Co &#128512; '
        "<tg-spoiler>s</tg-spoiler>"
    )
    await tg.send_message(anna.id, text, parse_mode="HTML")
    assert anna.last.text == "IHK <MINT> & Co 😀 s"
    assert [e["type"] for e in anna.last.entities] == ["text_link", "spoiler"]
    await tg.send_message(anna.id, "1 < 2 & <b>", parse_mode=None)  # no parse mode: plain
    assert anna.last.text == "1 < 2 & <b>"


async def test_callback_data_is_1_to_64_bytes(tg: Bot, world: World) -> None:
    anna = world.user("Anna")
    await anna.send("/start")

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Knopf", callback_data=data)]])

    await tg.send_message(anna.id, "ok", reply_markup=keyboard("ä" * 32))  # 64 bytes
    for bad in ("ä" * 33, "x" * 65):
        with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
            await tg.send_message(anna.id, "zu lang", reply_markup=keyboard(bad))
    assert len(anna.messages) == 1


async def test_poll_limits(tg: Bot, sandbox: SandboxServer, world: World) -> None:
    sandbox.now = lambda: NOW
    group = await world.group("Alumni")
    await tg.send_poll(group.id, "q" * 300, ["a" * 100, "b"])
    await tg.send_poll(group.id, "Zwölf?", [str(n) for n in range(12)])
    await tg.send_poll(group.id, "Kurz?", ["a", "b"], open_period=5)
    await tg.send_poll(group.id, "Lang?", ["a", "b"], open_period=2_628_000)
    await tg.send_poll(group.id, "Bald?", ["a", "b"], close_date=int(NOW) + 5)
    await tg.send_poll(group.id, "Spät?", ["a", "b"], close_date=int(NOW) + 2_628_000)
    cases: list[tuple[str, list[str], dict[str, int], str]] = [
        ("q" * 301, ["a", "b"], {}, "question length"),
        ("Eine?", ["a"], {}, "at least 2 option"),
        ("Dreizehn?", [str(n) for n in range(13)], {}, "more than 12 options"),
        ("Lang?", ["a" * 101, "b"], {}, "options length"),
        ("Doppelt?", ["Mo", "Di", "Mo"], {}, "(?i)POLL_OPTION_DUPLICATE"),
        ("Zu kurz?", ["a", "b"], {"open_period": 4}, "open period"),
        ("Zu lang?", ["a", "b"], {"open_period": 2_628_001}, "open period"),
        ("Zu bald?", ["a", "b"], {"close_date": int(NOW) + 4}, "close date"),
        ("Vorbei?", ["a", "b"], {"close_date": int(NOW) - 60}, "close date"),
        ("Zu spät?", ["a", "b"], {"close_date": int(NOW) + 2_628_001}, "close date"),
        ("Beides?", ["a", "b"], {"open_period": 60, "close_date": int(NOW) + 60}, "both"),
    ]
    for question, options, timing, error in cases:
        with pytest.raises(BadRequest, match=error):
            await tg.send_poll(group.id, question, options, **timing)  # type: ignore[arg-type]
    assert len(group.messages) == 6


async def test_poll_settings_and_telegrams_defaults(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    sandbox.now = lambda: NOW
    group = await world.group("Alumni")
    plain = await tg.send_poll(group.id, "Wann?", ["Mo", "Di"])
    assert plain.poll is not None and plain.date.timestamp() == int(NOW)
    assert plain.poll.is_anonymous and plain.poll.allows_revoting
    assert not plain.poll.allows_multiple_answers and not plain.poll.is_closed
    assert plain.poll.close_date is None and plain.poll.open_period is None
    assert sandbox.poll_setup[plain.poll.id].closes_at is None

    timed = await tg.send_poll(
        group.id,
        "Welche Themen?",
        ["Förderung", "Netzwerk", "Karriere"],
        is_anonymous=False,
        allows_multiple_answers=True,
        allows_revoting=False,
        hide_results_until_closes=True,
        open_period=dt.timedelta(minutes=10),
    )
    poll = timed.poll
    assert poll is not None and not poll.is_anonymous and poll.allows_multiple_answers
    assert not poll.allows_revoting
    assert poll.close_date is not None and poll.close_date.timestamp() == int(NOW) + 600
    assert sandbox.poll_of(group.last)["open_period"] == 600
    setup = sandbox.poll_setup[poll.id]
    assert setup.closes_at == NOW + 600 and setup.hide_results_until_closes
    assert sandbox.poll_messages[poll.id] == (group.id, timed.message_id)

    quiz = await tg.send_poll(group.id, "2+2?", ["3", "4"], type="quiz", correct_option_ids=[1])
    assert quiz.poll is not None and not quiz.poll.allows_revoting  # Telegram's quiz default
    dated = await tg.send_poll(group.id, "Bis wann?", ["a", "b"], close_date=int(NOW) + 3600)
    assert dated.poll is not None and dated.poll.open_period is None
    assert sandbox.poll_setup[dated.poll.id].closes_at == int(NOW) + 3600


async def test_flood_limits_answer_429_with_retry_after() -> None:
    limits = SandboxLimits(messages_per_second=3, retry_after_seconds=7)
    async with (
        SandboxServer(limits=limits) as server,
        Bot(server.token, base_url=server.base_url) as tg,
    ):
        world = World(server)
        people = [world.user(f"P{n}") for n in range(4)]
        for person in people:
            await person.send("/start")
        for person in people[:3]:
            await tg.send_message(person.id, "hallo")
        with pytest.raises(RetryAfter) as overall:
            await tg.send_message(people[3].id, "einer zu viel")
        assert overall.value.retry_after == 7

        # Right behind the 429 (on its way before the client could know): the same wait.
        wire = await raw(server, "sendMessage", chat_id=people[3].id, text="x")
        assert wire.status_code == 429
        assert wire.json()["parameters"] == {"retry_after": 7}
        assert people[3].messages == []
        assert server.flood_log.by_reason() == {"overall": 1, "penalty": 1}
        assert server.flood_log.by_chat() == {people[3].id: 2}
        assert server.flood_log.busiest_window() == 3


async def test_a_group_takes_20_a_minute() -> None:
    limits = SandboxLimits(messages_per_second=1000, group_messages_per_minute=2)
    async with (
        SandboxServer(limits=limits) as server,
        Bot(server.token, base_url=server.base_url) as tg,
    ):
        group = await World(server).group("Alumni")
        await tg.send_message(group.id, "1")
        await tg.send_message(group.id, "2")
        with pytest.raises(RetryAfter):
            await tg.send_message(group.id, "3")
        assert [m.text for m in group.messages] == ["1", "2"]
        assert server.flood_log.by_reason() == {"group": 1}


async def test_a_private_chat_takes_a_burst_then_one_a_second() -> None:
    limits = SandboxLimits(private_chat_burst=3, private_chat_messages_per_second=1)
    async with (
        SandboxServer(limits=limits) as server,
        Bot(server.token, base_url=server.base_url) as tg,
    ):
        world = World(server)
        anna, ben = world.user("Anna"), world.user("Ben")
        await anna.send("/start")
        await ben.send("/start")
        for n in range(3):
            await tg.send_message(anna.id, f"{n}")
        with pytest.raises(RetryAfter):
            await tg.send_message(anna.id, "zu schnell")
        # Anna's wait is hers: Ben's chat is not held up.
        await tg.send_message(ben.id, "hallo Ben")
        assert [m.text for m in anna.messages] == ["0", "1", "2"]
        assert [m.text for m in ben.messages] == ["hallo Ben"]
        assert server.flood_log.by_chat() == {anna.id: 1}
        assert server.flood_log.by_reason() == {"private_chat": 1}


async def test_sustained_flooding_gets_a_growing_retry_after() -> None:
    """A raw client that keeps sending while told to wait: 1, 2, 4, 8, then the cap."""
    limits = SandboxLimits(
        private_chat_burst=1,
        retry_after_seconds=1,
        retry_after_max_seconds=8,
        flood_grace_seconds=0,
    )
    async with SandboxServer(limits=limits) as server:
        anna = World(server).user("Anna")
        await anna.send("/start")
        answers = [await raw(server, "sendMessage", chat_id=anna.id, text=f"{n}") for n in range(7)]
        assert [a.status_code for a in answers] == [200] + [429] * 6
        waits = [a.json()["parameters"]["retry_after"] for a in answers[1:]]
        assert waits == [1, 2, 4, 8, 8, 8]
        assert [m.text for m in anna.messages] == ["0"]
        assert server.flood_log.count == 6 and server.flood_log.by_chat() == {anna.id: 6}


def test_flood_control_relaxes_once_the_client_waits() -> None:
    now = [100.0]
    flood = FloodControl(now=lambda: now[0])
    limits = SandboxLimits(private_chat_burst=1, retry_after_max_seconds=8, flood_grace_seconds=0)

    def send() -> int:
        """0 when accepted, else the retry_after answered."""
        try:
            flood.check(limits, method="sendMessage", chat_id=42, private=True)
        except TooManyRequests as refused:
            return refused.retry_after
        return 0

    assert send() == 0
    assert [send(), send(), send()] == [1, 2, 4]
    now[0] += 4  # waits out what it was told last
    assert send() == 0
    assert send() == 1  # too fast again, but it behaved in between: back to the first wait
    now[0] += 1
    assert send() == 0
    assert flood.log.by_reason() == {"private_chat": 2, "penalty": 2}


async def test_an_injected_429_carries_retry_after_and_is_logged(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    anna = world.user("Anna")
    await anna.send("/start")
    sandbox.fail_next(status=429, description="Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as refused:
        await tg.send_message(anna.id, "hallo")
    assert refused.value.retry_after == 3
    await tg.send_message(anna.id, "jetzt")  # injected: no penalty follows
    assert sandbox.flood_log.by_reason() == {"injected": 1}


# ------------------------------------------------------------------ faults on demand


async def test_blocked_user_and_a_user_who_never_started(tg: Bot, world: World) -> None:
    anna, ben = world.user("Anna"), world.user("Ben")
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await tg.send_message(ben.id, "hallo")
    await anna.send("/start")
    sent = await tg.send_message(anna.id, "vorher")
    await anna.block()
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await tg.send_message(anna.id, "hallo")
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await tg.edit_message_text("nachher", anna.id, sent.message_id)
    await anna.unblock()
    await tg.send_message(anna.id, "wieder da")
    assert [m.text for m in anna.messages] == ["vorher", "wieder da"]


async def test_migrated_group_answers_with_the_new_id(tg: Bot, world: World) -> None:
    group = await world.group("Alumni")
    old_id = group.id
    new_id = await group.migrate_to_supergroup()
    with pytest.raises(ChatMigrated) as migrated:
        await tg.send_message(old_id, "hallo")
    assert migrated.value.new_chat_id == new_id
    await tg.send_message(new_id, "hallo")
    assert group.id == new_id and group.last.text == "hallo"


async def test_next_calls_fail_with_5xx_then_recover(tg: Bot, sandbox: SandboxServer) -> None:
    sandbox.fail_next(2, status=502, description="Bad Gateway")
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
            await tg.get_me()
    assert (await tg.get_me()).is_bot
    sandbox.fail_next(1, status=500, methods={"sendMessage"})
    assert (await tg.get_me()).is_bot  # only sendMessage was meant
    assert len(sandbox._faults) == 1


async def test_a_hanging_call_times_out_and_leaves_nothing_behind(
    sandbox: SandboxServer, world: World
) -> None:
    anna = world.user("Anna")
    await anna.send("/start")
    sandbox.hang_next(methods={"sendMessage"})
    async with Bot(
        sandbox.token, base_url=sandbox.base_url, request=HTTPXRequest(read_timeout=0.2)
    ) as tg:
        with pytest.raises(TimedOut):
            await tg.send_message(anna.id, "hallo")
        await tg.send_message(anna.id, "nochmal")
    assert [m.text for m in anna.messages] == ["nochmal"]


# ------------------------------------------------------------------ getUpdates


async def test_get_updates_offset_and_limit(tg: Bot, world: World) -> None:
    anna = world.user("Anna")
    for text in ("eins", "zwei", "drei"):
        await anna.send(text)
    first = await tg.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["eins", "zwei"]
    again = await tg.get_updates()  # nothing confirmed yet: all three again
    assert len(again) == 3
    rest = await tg.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["drei"]
    assert await tg.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_long_polling_returns_as_soon_as_an_update_arrives(tg: Bot, world: World) -> None:
    anna = world.user("Anna")
    waiting = asyncio.create_task(tg.get_updates(timeout=5))
    await asyncio.sleep(0.05)  # let the request reach the server before anything happens
    assert not waiting.done()
    started = time.monotonic()
    await anna.send("hallo")
    updates = await asyncio.wait_for(waiting, 2)
    assert time.monotonic() - started < 1
    assert updates[0].message is not None and updates[0].message.text == "hallo"


async def test_long_polling_waits_for_its_timeout(tg: Bot) -> None:
    started = time.monotonic()
    assert await tg.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3


async def test_a_second_poller_terminates_the_first_with_409(tg: Bot) -> None:
    first = asyncio.create_task(tg.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert await tg.get_updates() == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)


async def test_allowed_updates_filter_and_are_remembered(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    anna = world.user("Anna")
    group = await world.group("Alumni", admins=[anna])  # my_chat_member
    await anna.send("hallo")  # message
    await sandbox.push_update("chat_member", {"chat": {"id": group.id}})  # excluded by default
    kinds = [next(k for k in u.to_dict() if k != "update_id") for u in await tg.get_updates()]
    assert kinds == ["my_chat_member", "message"]

    await anna.send("noch was")
    only_messages = await tg.get_updates(allowed_updates=["message"])
    assert all(u.message for u in only_messages) and len(only_messages) == 2
    later = await tg.get_updates()  # the filter stays in force without being resent
    assert all(u.message for u in later)


async def test_webhook_blocks_get_updates(tg: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)HTTPS URL"):
        await tg.set_webhook("http://example.org/hook")
    await tg.set_webhook("https://example.org/hook")
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await tg.get_updates()
    await tg.delete_webhook()
    assert await tg.get_updates() == ()


# ------------------------------------------------------------------ polls: votes and closing


def kind_of(update: Update) -> str:
    return next(key for key in update.to_dict() if key != "update_id")


async def drain(tg: Bot) -> list[Update]:
    """Every update waiting now, confirmed (so the next call sees only newer ones)."""
    updates = list(await tg.get_updates())
    if updates:
        await tg.get_updates(offset=updates[-1].update_id + 1)
    return updates


def counts(poll: dict[str, Any]) -> tuple[list[int], int]:
    return [option["voter_count"] for option in poll["options"]], poll["total_voter_count"]


async def test_votes_change_and_retraction_of_a_poll_with_names(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    anna, ben = world.user("Anna"), world.user("Ben")
    group = await world.group("Alumni", members=[anna, ben])
    sent = await tg.send_poll(group.id, "Treffen am?", ["Mo", "Di", "Mi"], is_anonymous=False)
    assert sent.poll is not None
    message = await group.expect_poll("treffen")
    await drain(tg)

    await anna.vote(message, [0])
    await ben.vote(message, [1])
    await anna.vote(message, [2])  # changes her mind
    await ben.retract(message)
    assert sandbox.poll_votes[sent.poll.id] == {anna.id: [2]}
    assert counts(sandbox.poll_of(message)) == ([0, 0, 1], 1)

    updates = await drain(tg)
    assert [kind_of(u) for u in updates] == ["poll_answer", "poll"] * 4
    answers = [u.poll_answer for u in updates if u.poll_answer]
    assert [(a.user and a.user.id, a.option_ids) for a in answers] == [
        (anna.id, (0,)),
        (ben.id, (1,)),
        (anna.id, (2,)),
        (ben.id, ()),  # a retraction: no options
    ]
    assert answers[2].option_persistent_ids == ("2",) and answers[3].option_persistent_ids == ()
    states = [u.poll for u in updates if u.poll]
    assert [(p.id, p.total_voter_count) for p in states] == [
        (sent.poll.id, n) for n in (1, 2, 2, 1)
    ]
    # Each update shows the poll as it was then, not as it is now.
    assert [o.voter_count for o in states[1].options] == [1, 1, 0]
    with pytest.raises(VoteRefused, match="no vote"):
        await ben.retract(message)


async def test_anonymous_votes_bring_only_poll_updates(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    anna, ben = world.user("Anna"), world.user("Ben")
    group = await world.group("Alumni", members=[anna, ben])
    await tg.send_poll(group.id, "Wann?", ["Mo", "Di"])
    message = await group.expect_poll("wann")
    await drain(tg)
    await anna.vote(message, [1])
    await ben.vote(message, [1])
    updates = await drain(tg)
    assert [kind_of(u) for u in updates] == ["poll", "poll"]
    last = updates[-1].poll
    assert last is not None and [o.voter_count for o in last.options] == [0, 2]


async def test_multiple_answers_and_refused_votes(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    anna = world.user("Anna")
    group = await world.group("Alumni", members=[anna])
    await tg.send_poll(group.id, "Themen?", ["a", "b", "c"], allows_multiple_answers=True)
    several = await group.expect_poll("themen")
    await anna.vote(several, [0, 2])
    await anna.vote(several, [1])
    assert counts(sandbox.poll_of(several)) == ([0, 1, 0], 1)

    await tg.send_poll(group.id, "Eins?", ["a", "b"], allows_revoting=False)
    single = await group.expect_poll("eins")
    with pytest.raises(VoteRefused, match="one answer only"):
        await anna.vote(single, [0, 1])
    with pytest.raises(VoteRefused, match=r"options 0\.\.1"):
        await anna.vote(single, [2])
    await anna.vote(single, [0])
    with pytest.raises(VoteRefused, match="no revoting"):
        await anna.vote(single, [1])
    with pytest.raises(VoteRefused, match="no revoting"):
        await anna.retract(single)
    assert counts(sandbox.poll_of(single)) == ([1, 0], 1)


async def test_a_poll_closes_when_its_close_date_passes(
    tg: Bot, sandbox: SandboxServer, world: World
) -> None:
    clock = Clock()
    sandbox.now = lambda: clock.now().timestamp()
    anna, ben = world.user("Anna"), world.user("Ben")
    group = await world.group("Alumni", members=[anna, ben])
    closes = clock.now() + dt.timedelta(hours=1)
    await tg.send_poll(group.id, "Bis eins?", ["ja", "nein"], close_date=closes)
    message = await group.expect_poll("bis eins")
    await anna.vote(message, [0])
    await drain(tg)

    await clock.move_to(closes - dt.timedelta(seconds=1))
    await ben.vote(message, [1])  # still open
    await clock.move_to(closes)
    with pytest.raises(PollClosed):
        await anna.vote(message, [1])
    with pytest.raises(PollClosed):
        await ben.retract(message)
    with pytest.raises(BadRequest, match="already been closed"):
        await tg.stop_poll(group.id, message.message_id)
    polls = [u.poll for u in await drain(tg) if u.poll]
    assert [p.is_closed for p in polls] == [False, True]  # Ben's vote, then the close, once
    assert [o.voter_count for o in polls[-1].options] == [1, 1]
    assert await drain(tg) == []


async def test_stop_poll_once_then_refused(tg: Bot, sandbox: SandboxServer, world: World) -> None:
    anna = world.user("Anna")
    group = await world.group("Alumni", members=[anna])
    await anna.send("/start")
    text = await tg.send_message(group.id, "Kein Poll")
    sent = await tg.send_poll(group.id, "Stopp?", ["ja", "nein"])
    await anna.vote(group.last, [0])
    await drain(tg)
    with pytest.raises(BadRequest, match=r"(?i)message with poll to stop not found"):
        await tg.stop_poll(group.id, text.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await tg.stop_poll(anna.id, sent.message_id)  # the same id in another chat

    stopped = await tg.stop_poll(group.id, sent.message_id)
    assert stopped.is_closed and stopped.options[0].voter_count == 1
    assert [(kind_of(u), u.poll and u.poll.is_closed) for u in await drain(tg)] == [("poll", True)]
    with pytest.raises(BadRequest, match="already been closed"):
        await tg.stop_poll(group.id, sent.message_id)
    with pytest.raises(PollClosed):
        await anna.vote(group.last, [1])
    assert await drain(tg) == []


async def test_the_harness_gives_telegram_the_bots_clock(bot: Harness) -> None:
    """Moving the bot's clock moves Telegram's time: message dates, and a poll whose close
    moment the jump passed is reported closed to the waiting bot at once, exactly once."""
    sandbox, anna = bot.server, bot.world.user("Anna")
    group = await bot.world.group("Alumni", members=[anna])
    assert bot.app is not None
    await bot.app.bot.send_poll(group.id, "Bald?", ["ja", "nein"], open_period=60)
    message = await group.expect_poll("bald")
    assert abs(message.date - time.time()) < 5
    # Everything confirmed: the bot now sits in a long getUpdates that nothing else wakes.
    await group.wait_until(lambda: sandbox.pending_update_count == 0, "the bot to be idle")
    await asyncio.sleep(0.05)

    await bot.clock.advance(dt.timedelta(minutes=1))
    # Nobody votes or stops it: only the bot's own (waiting) getUpdates can notice.
    await group.wait_until(lambda: sandbox.poll_of(message)["is_closed"], "the poll to close")
    closing = [u for u in sandbox.update_log.values() if u.get("poll", {}).get("is_closed")]
    assert len(closing) == 1
    with pytest.raises(PollClosed):
        await anna.vote(message, [0])
    await bot.app.bot.send_message(group.id, "Später")
    assert (await group.expect("später")).date >= message.date + 60


# ------------------------------------------------------------------ the driver


async def test_driver_people_write_press_vote_join_and_block(tg: Bot, world: World) -> None:
    anna, ben = world.user("Anna", language="en"), world.user("Ben")
    group = await world.group("Alumni", admins=[anna])
    await anna.send("/help extra")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Weiter ▶", callback_data="next")]])
    await tg.send_message(anna.id, "Bereit?", reply_markup=keyboard)
    await anna.press("weiter")
    poll = await tg.send_poll(group.id, "Termin?", ["Mo", "Di"], is_anonymous=False)
    await ben.vote(group.last, [0])
    await group.join(ben)
    await group.send(ben, "nur Geplauder")  # privacy mode: the bot never sees this
    await group.send(ben, "/digest@alumni_test_bot")
    await ben.block()

    updates = await tg.get_updates()
    summary = [
        (next(k for k in u.to_dict() if k != "update_id"), u.effective_user and u.effective_user.id)
        for u in updates
    ]
    assert summary == [
        ("my_chat_member", anna.id),
        ("message", anna.id),
        ("callback_query", anna.id),
        ("poll_answer", ben.id),
        ("poll", None),
        ("message", ben.id),
        ("message", ben.id),
        ("my_chat_member", ben.id),
    ]
    command = updates[1].message
    assert command is not None and command.text == "/help extra"
    assert command.from_user is not None and command.from_user.language_code == "en"
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 5
    assert updates[2].callback_query is not None and updates[2].callback_query.data == "next"
    assert updates[3].poll_answer is not None and updates[3].poll_answer.poll_id == poll.poll.id
    assert updates[5].message is not None and updates[5].message.new_chat_members[0].id == ben.id
    assert updates[6].message is not None and updates[6].message.text.startswith("/digest")
    blocked = updates[7].my_chat_member
    assert blocked is not None and blocked.new_chat_member.status == "kicked"


async def test_driver_failures_are_readable(tg: Bot, world: World) -> None:
    anna = world.user("Anna")
    await anna.send("/start")
    await tg.send_message(anna.id, "Willkommen, Anna!")
    with pytest.raises(AssertionError) as waited:
        await anna.expect("Tschüss", timeout=0.05)
    report = str(waited.value)
    assert "Anna waited 0.05s" in report and "'Tschüss'" in report
    assert "Willkommen, Anna!" in report  # the transcript of what did arrive
    with pytest.raises(AssertionError, match=r"(?i)found no button 'OK'"):
        await anna.press("OK")
    assert (await anna.expect("willkommen")).text == "Willkommen, Anna!"
    with pytest.raises(AssertionError, match=r"(?i)nothing new arrived"):
        await anna.next_message(timeout=0.05)
