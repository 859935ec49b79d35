"""A local Telegram Bot API server on 127.0.0.1 for tests, the demo and benchmarks.

The real, unmodified PTB `Application` talks to it through `BOT_API_BASE_URL`. It keeps users,
chats, messages, polls and a queue of updates in memory, enforces Telegram's limits and error
contract, and can inject faults (blocked users, migrated groups, 5xx, hanging calls).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.limits import FloodControl, FloodLog, SandboxLimits, TooManyRequests
from sandbox.telegram_html import EntityParseError, plain_text, utf16_length
from sandbox.webhook import RetryPolicy, WebhookAttempt, WebhookPush

logger = logging.getLogger(__name__)

JSON_FIELDS = {
    "reply_markup",
    "options",
    "entities",
    "caption_entities",
    "allowed_updates",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
    "question_entities",
    "explanation_entities",
}
SENDING_METHODS = {"sendMessage", "sendPoll", "sendDocument", "sendPhoto"}
# What Telegram delivers when a bot asks for no particular update types (an empty list).
DEFAULT_EXCLUDED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
# Scopes of setMyCommands that name one chat; Telegram refuses them for chats the bot cannot see.
CHAT_SCOPES = {"chat", "chat_administrators", "chat_member"}
MAX_COMMANDS = 100
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
RECHECK_SECONDS = 0.02
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
POLL_OPTIONS_MIN, POLL_OPTIONS_MAX = 2, 12
# open_period, and how far ahead close_date may lie (seconds; Bot API: 5 to 2628000).
POLL_OPEN_MIN, POLL_OPEN_MAX = 5, 2_628_000
CALLBACK_DATA_MAX_BYTES = 64
MESSAGE_MAX = 4096
CAPTION_MAX = 1024


class ApiError(Exception):
    """Becomes Telegram's `{"ok": false, ...}` answer with the given HTTP status."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class VoteRefused(AssertionError):
    """A person tried to vote in a way a Telegram client does not allow.

    An `AssertionError`, so a test that votes by mistake fails readably, and a test that wants
    to show a vote is impossible can say `with pytest.raises(VoteRefused)`.
    """


class PollClosed(VoteRefused):
    """The poll is closed (stopped by the bot, or its close moment has passed)."""


@dataclass
class SentMessage:
    """A message as the bot sent (or last edited) it, with what a person would see."""

    chat_id: int
    message_id: int
    text: str  # plain text after entity parsing (or the caption)
    raw_text: str  # what the bot sent
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    date: int
    method: str
    poll: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    deleted: bool = False
    edited: bool = False
    reply_to: int | None = None  # the message this one answers (`reply_parameters`)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [str(button["text"]) for button in self.buttons]


@dataclass
class SandboxUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "de"
    blocked_bot: bool = False
    started_bot: bool = False

    def as_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class SandboxChat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    member_ids: set[int] = field(default_factory=set)
    admin_ids: set[int] = field(default_factory=set)
    migrated_to: int | None = None
    bot_is_member: bool = True

    def as_api(self, users: dict[int, SandboxUser]) -> dict[str, Any]:
        if self.type == "private":
            user = users[self.id]
            data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class PollSetup:
    """What the bot chose for a poll beyond what Telegram's Poll object shows the bot."""

    # When the poll closes on its own (server time, unix seconds); None: only by stopPoll.
    closes_at: float | None = None
    hide_results_until_closes: bool = False


@dataclass
class _Fault:
    kind: str  # "error" | "hang"
    status: int = 500
    description: str = "Internal Server Error"
    methods: set[str] | None = None
    retry_after: int | None = None  # for an injected 429


class SandboxServer:
    """State and HTTP front of the fake Bot API. Use `async with SandboxServer() as sandbox:`."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_username: str = "alumni_test_bot",
        limits: SandboxLimits | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        hang_seconds: float = 30.0,
        privacy_mode: bool = True,
        webhook_retry: RetryPolicy | None = None,
    ) -> None:
        bot_id = 7_000_000_000 + secrets.randbelow(1_000_000)
        self.token = token or f"{bot_id}:{secrets.token_urlsafe(30)}"
        self.bot_user = {
            "id": int(self.token.split(":")[0]),
            "is_bot": True,
            "first_name": "Alumni-Austausch",
            "username": bot_username,
            "can_join_groups": True,
            # Group privacy mode (BotFather's default): in groups the bot sees commands,
            # replies to its own messages and service messages only.
            "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.limits = limits or SandboxLimits()
        self.host, self.port = host, port
        # Telegram's "now" (unix seconds): message dates and poll close moments. The harness
        # points it at the bot's clock, so moving that clock moves Telegram's time too.
        self.now: Callable[[], float] = time.time
        self.hang_seconds = hang_seconds
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.messages: dict[int, list[SentMessage]] = {}
        # Each poll as Telegram's Poll object (the same dict the poll message carries).
        self.polls: dict[str, dict[str, Any]] = {}
        self.poll_messages: dict[str, tuple[int, int]] = {}
        self.poll_setup: dict[str, PollSetup] = {}
        # Who chose what: poll id -> user id -> option ids; the counts are computed from it.
        self.poll_votes: dict[str, dict[int, list[int]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook_url = ""
        # While a webhook is set, updates are pushed (sandbox.webhook) instead of fetched.
        self.webhook_retry = webhook_retry or RetryPolicy()
        self.webhook_routes: dict[str, str] = {}  # the reverse proxy: public → local origin
        self.webhook_attempts: list[WebhookAttempt] = []
        self._push: WebhookPush | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []
        # Called with every message the bot sends (the `sandbox` command prints them).
        self.listeners: list[Callable[[SentMessage], None]] = []
        self.rejected: list[tuple[str, ApiError]] = []
        self._updates: deque[dict[str, Any]] = deque()
        # Every update ever offered, by id: lets a test offer one again (`redeliver`).
        self.update_log: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        # Telegram answers an older, still waiting getUpdates with 409 when a newer one arrives.
        self._poll_generation = 0
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._user_ids = itertools.count(100_001)
        self._group_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._faults: list[_Fault] = []
        # Flood control and its record of every message accepted and every 429 answered.
        self.flood = FloodControl()
        self._closing = asyncio.Event()
        self._hang_release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._ok_true,
            "close": self._ok_true,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPoll": self._send_poll,
            "stopPoll": self._stop_poll,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "sendChatAction": self._ok_true,
        }

    # ---------------------------------------------------------------- lifecycle

    @property
    def privacy_mode(self) -> bool:
        return not self.bot_user["can_read_all_group_messages"]

    @property
    def base_url(self) -> str:
        """What to put into `BOT_API_BASE_URL` (PTB appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._http)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        await self._stop_push()
        self._closing.set()
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------- world building

    def create_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "de",
        user_id: int | None = None,
    ) -> SandboxUser:
        user = SandboxUser(
            id=user_id or next(self._user_ids),
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self.users[user.id] = user
        self.chats[user.id] = SandboxChat(id=user.id, type="private")
        return user

    def create_group(self, title: str, *, supergroup: bool = False) -> SandboxChat:
        number = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -(4_000_000_000 + number)
        chat = SandboxChat(id=chat_id, type="supergroup" if supergroup else "group", title=title)
        self.chats[chat_id] = chat
        return chat

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    async def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        async with self._changed:
            update_id = self._queue_update(kind, payload)
            self._changed.notify_all()
        return update_id

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update without waking anyone (for callers that already hold the lock or
        notify afterwards)."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        self.update_log[update_id] = update
        self._updates.append(update)
        return update_id

    async def redeliver(self, update_id: int) -> None:
        """Offer an update again, as Telegram does when a bot died before confirming it."""
        update = self.update_log[update_id]
        async with self._changed:
            if update not in self._updates:
                later = [u for u in self._updates if u["update_id"] > update_id]
                index = self._updates.index(later[0]) if later else len(self._updates)
                self._updates.insert(index, update)
            self._changed.notify_all()

    def update_id_of(self, text: str) -> int:
        """The update that carried the message `text` (the latest, if it was sent twice)."""
        return max(
            update_id
            for update_id, update in self.update_log.items()
            if update.get("message", {}).get("text") == text
        )

    def route_webhook(self, public_origin: str, local_origin: str) -> None:
        """Play the reverse proxy: pushes to `https://bot.example.org/...` go to the local
        `http://127.0.0.1:8080/...` instead (the path is kept)."""
        self.webhook_routes[public_origin.rstrip("/")] = local_origin.rstrip("/")

    def deliverable_updates(self) -> list[dict[str, Any]]:
        """The updates Telegram would hand out now, oldest first (call with the lock held)."""
        self._close_due_polls()
        self._drop_unwanted_updates()
        return list(self._updates)

    async def confirm(self, update: dict[str, Any]) -> None:
        """The webhook answered 2xx: Telegram forgets the update."""
        async with self._changed:
            with contextlib.suppress(ValueError):  # a deleteWebhook may have dropped it
                self._updates.remove(update)
            self._changed.notify_all()

    @property
    def pending_update_count(self) -> int:
        """Updates the bot has not confirmed yet."""
        return len(self._updates)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        methods: set[str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `count` calls (of `methods`, default any but getUpdates) fail with `status`.

        A 429 carries `retry_after` (default: the limits' first answer) and is logged in
        `flood.log` like one flood control answered.
        """
        if status == 429 and retry_after is None:
            retry_after = self.limits.retry_after_seconds
        self._faults.extend(
            _Fault("error", status, description, methods, retry_after) for _ in range(count)
        )

    def hang_next(self, count: int = 1, *, methods: set[str] | None = None) -> None:
        """The next `count` calls never answer (until the client gives up)."""
        self._faults.extend(_Fault("hang", methods=methods) for _ in range(count))

    def release_hangs(self) -> None:
        """End every call hanging right now (with 504), e.g. once a test has seen it hang."""
        self._hang_release.set()
        self._hang_release = asyncio.Event()

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.messages.get(chat_id, []) if not m.deleted]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float, *, external: bool = False
    ) -> bool:
        """Wait until `predicate()` holds, re-checking whenever the sandbox changes.

        With `external`, the predicate looks at something no sandbox event announces (a row
        in the bot's database, a log line), so it is also re-checked every `RECHECK_SECONDS`.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        recheck = RECHECK_SECONDS if external else timeout
        async with self._changed:
            while not predicate():
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(remaining, recheck))
        return True

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---------------------------------------------------------------- HTTP

    async def _http(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        try:
            params = await self._read_params(request)
            self.calls.append((method, params))
            await self.notify()  # tests may wait for a call to arrive (e.g. one that hangs)
            handler = self._handlers.get(method)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            await self._apply_faults(method, params)
            if method in SENDING_METHODS:
                self._check_flood(method, params)
            result = await handler(params)
        except ApiError as error:
            self.rejected.append((method, error))
            return self._error_response(error)
        body = {"ok": True, "result": result}
        return web.json_response(body)

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": error.code,
            "description": error.description,
        }
        if error.parameters:
            body["parameters"] = error.parameters
        return web.json_response(body, status=error.code)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
                return params
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = {
                        "filename": value.filename,
                        "content": value.file.read(),
                        "content_type": value.content_type,
                    }
                elif key in JSON_FIELDS and isinstance(value, str):
                    try:
                        params[key] = json.loads(value)
                    except json.JSONDecodeError as exc:
                        raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from exc
                else:
                    params[key] = value
        return params

    async def _apply_faults(self, method: str, params: dict[str, Any]) -> None:
        for index, fault in enumerate(self._faults):
            applies = method in fault.methods if fault.methods else method != "getUpdates"
            if not applies:
                continue
            del self._faults[index]
            if fault.kind == "hang":
                ends = [
                    asyncio.ensure_future(self._closing.wait()),
                    asyncio.ensure_future(self._hang_release.wait()),
                ]
                try:
                    await asyncio.wait(
                        ends, timeout=self.hang_seconds, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    for end in ends:
                        end.cancel()
                raise ApiError(504, "Gateway Timeout")
            if fault.retry_after is not None:
                chat_id = self._int(params, "chat_id", 0)
                self.flood.record_injected(method, chat_id, fault.retry_after)
                raise ApiError(fault.status, fault.description, {"retry_after": fault.retry_after})
            raise ApiError(fault.status, fault.description)

    def _check_flood(self, method: str, params: dict[str, Any]) -> None:
        chat_id = self._chat_id(params)
        chat = self.chats.get(chat_id)
        private = chat is not None and chat.type == "private"
        try:
            self.flood.check(self.limits, method=method, chat_id=chat_id, private=private)
        except TooManyRequests as refused:
            retry = refused.retry_after
            raise ApiError(
                429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
            ) from None

    @property
    def flood_log(self) -> FloodLog:
        """Every message flood control accepted and every 429 the sandbox answered."""
        return self.flood.log

    # ---------------------------------------------------------------- parameter helpers

    @staticmethod
    def _int(params: dict[str, Any], key: str, default: int | None = None) -> int:
        value = params.get(key, default)
        if value is None:
            raise ApiError(400, f"Bad Request: {key} is empty")
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Bad Request: invalid {key} specified") from exc

    def _chat_id(self, params: dict[str, Any]) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.chats.values():
                if chat.type == "private" and self.users[chat.id].username == raw[1:]:
                    return chat.id
            raise ApiError(400, "Bad Request: chat not found")
        return self._int(params, "chat_id")

    def _target_chat(self, params: dict[str, Any]) -> SandboxChat:
        """The chat a new message goes to, refused as Telegram would refuse it."""
        chat = self.chats.get(self._chat_id(params))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        self._check_reachable(chat)
        if chat.type == "private" and not self.users[chat.id].started_bot:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _check_reachable(self, chat: SandboxChat) -> None:
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            if self.users[chat.id].blocked_bot:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        elif not chat.bot_is_member:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None:
                    size = len(str(data).encode("utf-8"))
                    if not 1 <= size <= CALLBACK_DATA_MAX_BYTES:
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _text(
        self, params: dict[str, Any], key: str, limit: int, *, required: bool
    ) -> tuple[str, str, list[dict[str, Any]]]:
        raw = str(params.get(key) or "")
        parse_mode = params.get("parse_mode") or None
        try:
            text, entities = plain_text(raw, parse_mode)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
        if required and not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > limit:
            raise ApiError(
                400,
                "Bad Request: message is too long"
                if key == "text"
                else "Bad Request: message caption is too long",
            )
        return raw, text, entities

    def _message_api(self, message: SentMessage) -> dict[str, Any]:
        chat = self.chats[message.chat_id]
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": chat.as_api(self.users),
            "date": message.date,
        }
        if message.edited:
            data["edit_date"] = int(self.now())
        if message.poll is not None:
            # A copy: an update carrying this message shows the poll as it was then.
            data["poll"] = copy.deepcopy(message.poll)
        elif message.document is not None:
            data["document"] = {k: v for k, v in message.document.items() if k != "content"}
            if message.text:
                data["caption"] = message.text
        else:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        if message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    async def _record(self, message: SentMessage) -> dict[str, Any]:
        self.messages.setdefault(message.chat_id, []).append(message)
        for listener in self.listeners:
            listener(message)
        await self.notify()
        return self._message_api(message)

    def _find_message(self, params: dict[str, Any], action: str) -> SentMessage:
        chat_id = self._chat_id(params)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        self._check_reachable(chat)
        message_id = self._int(params, "message_id")
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        raise ApiError(400, f"Bad Request: message to {action} not found")

    # ---------------------------------------------------------------- methods

    async def _ok_true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def set_webhook(self, url: str, *, secret_token: str | None = None) -> None:
        """Set a webhook as some bot did earlier (e.g. a stale one a polling bot must remove)."""
        await self._set_webhook({"url": url, "secret_token": secret_token or ""})

    async def _stop_push(self) -> None:
        if self._push is not None:
            push, self._push = self._push, None
            await push.stop()

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        await self._stop_push()  # updates not confirmed yet stay for getUpdates
        self.webhook_url = ""
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        await self.notify()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url", ""))
        if not url:
            return await self._delete_webhook(params)  # Telegram: an empty URL removes it
        if not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = str(params.get("secret_token") or "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or [])
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        await self._stop_push()
        self.webhook_url = url
        self._push = WebhookPush(self, url=url, secret=secret or None, policy=self.webhook_retry)
        self._push.start()
        await self.notify()  # a waiting getUpdates answers 409 now
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["allowed_updates"] = list(self._allowed_updates)
        if self._push is not None and self._push.last_error_date is not None:
            info["last_error_date"] = self._push.last_error_date
            info["last_error_message"] = self._push.last_error
        return info

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = self._int(params, "offset", 0)
        limit = max(1, min(100, self._int(params, "limit", 100)))
        timeout = max(0, self._int(params, "timeout", 0))
        if "allowed_updates" in params:
            # Telegram remembers the list for later calls that do not send one.
            self._allowed_updates = list(params["allowed_updates"] or [])
        if offset:
            # An offset confirms every update before it; Telegram forgets them for good.
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        await self.notify()  # wake an older waiting call so it can answer 409

        def ready() -> list[dict[str, Any]]:
            self._close_due_polls()
            self._drop_unwanted_updates()
            return list(itertools.islice(self._updates, limit))

        if timeout:
            await self.wait_for(
                lambda: (
                    bool(ready())
                    or self._closing.is_set()
                    or self._poll_generation != generation
                    or bool(self.webhook_url)
                ),
                timeout,
            )
        if self.webhook_url:  # set while this call waited
            raise ApiError(409, WEBHOOK_CONFLICT)
        if self._poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return ready()

    def _drop_unwanted_updates(self) -> None:
        """Telegram never stores update types the bot did not ask for."""
        allowed = set(self._allowed_updates)

        def wanted(update: dict[str, Any]) -> bool:
            kind = next(key for key in update if key != "update_id")
            return kind in allowed if allowed else kind not in DEFAULT_EXCLUDED_UPDATES

        if not all(wanted(update) for update in self._updates):
            kept = [update for update in self._updates if wanted(update)]
            self._updates.clear()
            self._updates.extend(kept)

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        raw, text, entities = self._text(params, "text", MESSAGE_MAX, required=True)
        markup = self._check_markup(params.get("reply_markup"))
        message = SentMessage(
            chat_id=chat.id,
            message_id=self.next_message_id(chat.id),
            text=text,
            raw_text=raw,
            parse_mode=params.get("parse_mode") or None,
            entities=entities,
            reply_markup=markup,
            date=int(self.now()),
            method="sendMessage",
            reply_to=_replied_to(params.get("reply_parameters")),
        )
        return await self._record(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find_message(params, "edit")
        raw, text, entities = self._text(params, "text", MESSAGE_MAX, required=True)
        markup = self._check_markup(params.get("reply_markup"))
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        message.text, message.raw_text, message.entities = text, raw, entities
        message.parse_mode = params.get("parse_mode") or None
        message.reply_markup, message.edited = markup, True
        await self.notify()
        return self._message_api(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find_message(params, "edit")
        markup = self._check_markup(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.reply_markup, message.edited = markup, True
        await self.notify()
        return self._message_api(message)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self._find_message(params, "delete")
        message.deleted = True
        await self.notify()
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self.callback_answers:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if self.callback_answers[query_id]:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self.callback_answers[query_id] = {
            "text": params.get("text"),
            "show_alert": str(params.get("show_alert", "")).lower() == "true",
            "answered": True,
        }
        await self.notify()
        return True

    async def _send_poll(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._target_chat(params)
        question = str(params.get("question") or "")
        if not question.strip():
            raise ApiError(400, "Bad Request: poll question must be non-empty")
        if utf16_length(question) > POLL_QUESTION_MAX:
            raise ApiError(400, "Bad Request: poll question length must not exceed 300")
        texts = self._poll_option_texts(params)
        poll_type = str(params.get("type") or "regular")
        now = self.now()
        closes_at, timing = self._poll_timing(params, now)
        poll_id = str(secrets.randbelow(10**18))
        poll: dict[str, Any] = {
            "id": poll_id,
            "question": question,
            "options": [
                {"text": text, "voter_count": 0, "persistent_id": str(index)}
                for index, text in enumerate(texts)
            ],
            "total_voter_count": 0,
            "is_closed": self._flag(params, "is_closed", default=False),
            # Telegram's defaults: anonymous; revoting allowed except in quizzes.
            "is_anonymous": self._flag(params, "is_anonymous", default=True),
            "type": poll_type,
            "allows_multiple_answers": self._flag(params, "allows_multiple_answers", default=False),
            # Bot API 9.6 / 10.0 fields PTB 22.8 requires on every poll (`Poll.__init__` raises
            # TypeError without them).
            "allows_revoting": self._flag(params, "allows_revoting", default=poll_type != "quiz"),
            "members_only": self._flag(params, "members_only", default=False),
            **timing,
        }
        message = SentMessage(
            chat_id=chat.id,
            message_id=self.next_message_id(chat.id),
            text=question,
            raw_text=question,
            parse_mode=None,
            entities=[],
            reply_markup=self._check_markup(params.get("reply_markup")),
            date=int(now),
            method="sendPoll",
            poll=poll,
        )
        self.polls[poll_id] = poll
        self.poll_messages[poll_id] = (chat.id, message.message_id)
        self.poll_votes[poll_id] = {}
        self.poll_setup[poll_id] = PollSetup(
            closes_at=closes_at,
            hide_results_until_closes=self._flag(
                params, "hide_results_until_closes", default=False
            ),
        )
        return await self._record(message)

    @staticmethod
    def _poll_option_texts(params: dict[str, Any]) -> list[str]:
        options = params.get("options") or []
        texts = [str(o["text"] if isinstance(o, dict) else o) for o in options]
        if len(texts) < POLL_OPTIONS_MIN:
            raise ApiError(400, "Bad Request: poll must have at least 2 option")
        if len(texts) > POLL_OPTIONS_MAX:
            raise ApiError(400, "Bad Request: poll can't have more than 12 options")
        for text in texts:
            if not text.strip() or utf16_length(text) > POLL_OPTION_MAX:
                raise ApiError(400, "Bad Request: poll options length must not exceed 100")
        if len({text.strip() for text in texts}) < len(texts):
            raise ApiError(400, "Bad Request: POLL_OPTION_DUPLICATE")
        return texts

    def _poll_timing(
        self, params: dict[str, Any], now: float
    ) -> tuple[float | None, dict[str, int]]:
        """When the poll closes on its own, and the Poll fields that say so."""
        has_period, has_date = params.get("open_period"), params.get("close_date")
        if has_period and has_date:
            raise ApiError(400, "Bad Request: can't specify both open_period and close_date")
        if has_period:
            period = self._int(params, "open_period")
            if not POLL_OPEN_MIN <= period <= POLL_OPEN_MAX:
                raise ApiError(400, "Bad Request: wrong poll open period specified")
            # Telegram reports both: the period asked for and the moment it ends.
            return now + period, {"open_period": period, "close_date": int(now) + period}
        if has_date:
            close_date = self._int(params, "close_date")
            if not POLL_OPEN_MIN <= close_date - int(now) <= POLL_OPEN_MAX:
                raise ApiError(400, "Bad Request: wrong poll close date specified")
            return float(close_date), {"close_date": close_date}
        return None, {}

    @staticmethod
    def _flag(params: dict[str, Any], key: str, *, default: bool) -> bool:
        value = params.get(key)
        if value is None or value == "":
            return default
        return str(value).lower() == "true"

    def poll_of(self, message: SentMessage) -> dict[str, Any]:
        """The current state of the poll `message` carries, as Telegram's Poll object."""
        if message.poll is None:
            raise AssertionError(f"message #{message.message_id} is not a poll: {message.text!r}")
        return self.polls[message.poll["id"]]

    async def _stop_poll(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find_message(params, "edit")
        if message.method != "sendPoll" or message.poll is None:
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        await self._refresh_polls()
        poll = message.poll
        if poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        if "reply_markup" in params:
            message.reply_markup = self._check_markup(params.get("reply_markup"))
        await self._close_poll(poll)
        return poll

    # ---------------------------------------------------------------- polls: votes and closing

    async def vote(self, user: SandboxUser, poll_id: str, option_ids: list[int]) -> None:
        """`user` chooses `option_ids` (an empty list takes the vote back), as in a client.

        Raises `PollClosed` or `VoteRefused` where a Telegram client would not let them.
        Updates: `poll_answer` for polls that are not anonymous, then `poll` with the new state.
        """
        await self._refresh_polls()
        poll = self.polls[poll_id]
        chat_id, message_id = self.poll_messages[poll_id]
        if not any(m.message_id == message_id for m in self.sent_to(chat_id)):
            raise VoteRefused(f"the poll {poll['question']!r} was deleted")
        if poll["is_closed"]:
            raise PollClosed(f"the poll {poll['question']!r} is closed")
        votes = self.poll_votes[poll_id]
        self._check_vote(poll, votes.get(user.id), option_ids, user.first_name)
        if option_ids:
            votes[user.id] = list(option_ids)
        else:
            del votes[user.id]
        for index, option in enumerate(poll["options"]):
            option["voter_count"] = sum(index in chosen for chosen in votes.values())
        poll["total_voter_count"] = len(votes)
        if not poll["is_anonymous"]:
            await self.push_update(
                "poll_answer",
                {
                    "poll_id": poll_id,
                    "user": user.as_api(),
                    "option_ids": list(option_ids),
                    "option_persistent_ids": [
                        poll["options"][option_id]["persistent_id"] for option_id in option_ids
                    ],
                },
            )
        await self.push_update("poll", copy.deepcopy(poll))

    @staticmethod
    def _check_vote(
        poll: dict[str, Any], before: list[int] | None, option_ids: list[int], name: str
    ) -> None:
        question = poll["question"]
        if before is not None and not poll["allows_revoting"]:
            raise VoteRefused(f"{name} already voted in {question!r}, which allows no revoting")
        if not option_ids and before is None:
            raise VoteRefused(f"{name} has no vote in {question!r} to take back")
        if len(option_ids) > 1 and not poll["allows_multiple_answers"]:
            raise VoteRefused(f"{question!r} allows one answer only, not {option_ids}")
        if len(set(option_ids)) < len(option_ids):
            raise VoteRefused(f"{name} chose an option twice: {option_ids}")
        count = len(poll["options"])
        if any(not 0 <= option_id < count for option_id in option_ids):
            raise VoteRefused(f"{question!r} has options 0..{count - 1}, not {option_ids}")

    def _close_due_polls(self) -> bool:
        """Close every poll whose close moment has passed and queue its one `poll` update.

        Telegram closes such polls at that moment; the sandbox notices lazily (getUpdates, a
        vote, stopPoll), which a bot cannot tell apart. Synchronous so that a waiting
        getUpdates can run it while it holds the lock.
        """
        now = self.now()
        closed = False
        for poll_id, setup in self.poll_setup.items():
            poll = self.polls[poll_id]
            if setup.closes_at is not None and setup.closes_at <= now and not poll["is_closed"]:
                poll["is_closed"] = True
                self._queue_update("poll", copy.deepcopy(poll))
                closed = True
        return closed

    async def _refresh_polls(self) -> None:
        if self._close_due_polls():
            await self.notify()

    async def _close_poll(self, poll: dict[str, Any]) -> None:
        poll["is_closed"] = True
        await self.push_update("poll", copy.deepcopy(poll))

    async def _send_file(self, params: dict[str, Any], key: str, method: str) -> dict[str, Any]:
        chat = self._target_chat(params)
        upload = params.get(key)
        if not isinstance(upload, dict):
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        raw, caption, entities = self._text(params, "caption", CAPTION_MAX, required=False)
        document = {
            "file_id": secrets.token_hex(8),
            "file_unique_id": secrets.token_hex(4),
            "file_name": upload["filename"],
            "mime_type": upload["content_type"],
            "file_size": len(upload["content"]),
            "content": upload["content"],
        }
        message = SentMessage(
            chat_id=chat.id,
            message_id=self.next_message_id(chat.id),
            text=caption,
            raw_text=raw,
            parse_mode=params.get("parse_mode") or None,
            entities=entities,
            reply_markup=self._check_markup(params.get("reply_markup")),
            date=int(self.now()),
            method=method,
            document=document,
        )
        return await self._record(message)

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document", "sendDocument")

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        result = await self._send_file(params, "photo", "sendPhoto")
        document = result.pop("document")
        result["photo"] = [
            {
                "file_id": document["file_id"],
                "file_unique_id": document["file_unique_id"],
                "width": 100,
                "height": 100,
                "file_size": document["file_size"],
            }
        ]
        return result

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _check_scope(self, params: dict[str, Any]) -> None:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in {
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
            *CHAT_SCOPES,
        }:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        if scope["type"] in CHAT_SCOPES:
            chat = self.chats.get(self._chat_id(scope))
            # A private chat exists for the bot only once the user has started it.
            if chat is None or (chat.type == "private" and not self.users[chat.id].started_bot):
                raise ApiError(400, "Bad Request: chat not found")

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        self._check_scope(params)
        commands = params.get("commands") or []
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise ApiError(400, "Bad Request: too many commands specified")
        for command in commands:
            name = str(command.get("command", ""))
            if (
                not (1 <= len(name) <= 32)
                or not name.replace("_", "").isalnum()
                or name.lower() != name
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not (1 <= len(str(command.get("description", ""))) <= 256):
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope_key(params)] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._scope_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(self._chat_id(params))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        data = chat.as_api(self.users)
        data.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return data

    def _member_api(self, chat: SandboxChat, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_user["id"]:
            user: dict[str, Any] = self.bot_user
            status = "member" if chat.bot_is_member else "left"
        else:
            sandbox_user = self.users.get(user_id)
            if sandbox_user is None:
                raise ApiError(400, "Bad Request: user not found")
            user = sandbox_user.as_api()
            if chat.type == "private":
                status = "member"
            elif user_id in chat.admin_ids:
                status = "administrator"
            else:
                status = "member" if user_id in chat.member_ids else "left"
        data: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            data.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            )
        return data

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chats.get(self._chat_id(params))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return self._member_api(chat, self._int(params, "user_id"))

    async def _get_chat_administrators(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self.chats.get(self._chat_id(params))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.type == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        return [self._member_api(chat, user_id) for user_id in sorted(chat.admin_ids)]


def _replied_to(reply_parameters: object) -> int | None:
    """The message id a send answers; Telegram accepts the object with at least `message_id`."""
    if not isinstance(reply_parameters, dict):
        return None
    message_id = reply_parameters.get("message_id")
    if not isinstance(message_id, int):
        raise ApiError(400, "Bad Request: reply_parameters: message_id is required")
    return message_id
