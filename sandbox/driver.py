"""Drive the sandbox as people would: users write, press buttons, vote, block the bot.

Tests and the demo read like a story: `anna = world.user("Anna")`, `await anna.send("/start")`,
`await anna.expect("Willkommen")`, `await anna.press("Einverstanden")`.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

from sandbox.server import (
    PollClosed,
    SandboxChat,
    SandboxServer,
    SandboxUser,
    SentMessage,
    VoteRefused,
)

# Tests import these from here, with the people who run into them.
__all__ = ["ChatView", "Group", "Person", "PollClosed", "VoteRefused", "World"]

DEFAULT_TIMEOUT = 5.0


class ChatView:
    """What the bot sent into one chat, with a cursor for "the next message I have not read"."""

    def __init__(self, world: World, chat_id: int, label: str) -> None:
        self.world = world
        self.chat_id = chat_id
        self.label = label
        self._read = 0
        # Indexes of the messages a test actually looked at (expect/next_message/mark_read);
        # `expect` skips ahead, so a message passed over is not counted as read.
        self._seen: set[int] = set()

    @property
    def server(self) -> SandboxServer:
        return self.world.server

    @property
    def messages(self) -> list[SentMessage]:
        """Everything the bot sent here (deleted ones left out)."""
        return self.server.sent_to(self._current_id())

    @property
    def last(self) -> SentMessage:
        if not self.messages:
            raise AssertionError(f"the bot has sent nothing to {self.label}")
        return self.messages[-1]

    def _current_id(self) -> int:
        chat = self.server.chats[self.chat_id]
        return chat.migrated_to if chat.migrated_to is not None else self.chat_id

    def _all(self) -> list[SentMessage]:
        return self.server.messages.get(self._current_id(), [])

    def mark_read(self) -> None:
        self._read = len(self._all())
        self._seen.update(range(self._read))

    def assert_all_read(self) -> None:
        """Fail if the bot sent anything here that the test never looked at: a duplicate
        prompt or digest part that `expect` skipped over, or one that arrived later."""
        unread = [m for i, m in enumerate(self._all()) if i not in self._seen]
        if unread:
            raise AssertionError(
                f"{self.label} holds {len(unread)} message(s) the test has not read: "
                + " | ".join(repr(message.text[:120]) for message in unread)
            )

    async def next_message(self, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """The next message the bot sends here that this view has not returned yet."""
        if not await self.server.wait_for(lambda: len(self._all()) > self._read, timeout):
            raise AssertionError(
                f"{self.label} waited {timeout}s for a message; nothing new arrived.\n"
                f"{self._transcript()}"
            )
        message = self._all()[self._read]
        self._seen.add(self._read)
        self._read += 1
        return message

    async def expect(self, *needles: str, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """Skip ahead to the next message that contains every needle (case-insensitive)."""
        return await self._expect(needles, timeout, polls_only=False)

    async def expect_poll(self, *needles: str, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """Skip ahead to the next poll whose question contains every needle (case-insensitive);
        `server.poll_of(message)` then shows its current state."""
        return await self._expect(needles, timeout, polls_only=True)

    async def _expect(
        self, needles: tuple[str, ...], timeout: float, *, polls_only: bool
    ) -> SentMessage:
        kind = "poll" if polls_only else "message"
        wanted = [needle.casefold() for needle in needles]

        def matching_index() -> int | None:
            for index in range(self._read, len(self._all())):
                message = self._all()[index]
                if polls_only and message.poll is None:
                    continue
                if all(needle in message.text.casefold() for needle in wanted):
                    return index
            return None

        if not await self.server.wait_for(lambda: matching_index() is not None, timeout):
            raise AssertionError(
                f"{self.label} waited {timeout}s for a {kind} containing {list(needles)!r}.\n"
                f"{self._transcript()}"
            )
        index = matching_index()
        assert index is not None
        self._seen.add(index)
        self._read = index + 1
        return self._all()[index]

    async def expect_nothing(self, within: float = 0.3) -> None:
        """Assert that the bot sends nothing new here for `within` seconds."""
        before = len(self._all())
        await asyncio.sleep(within)
        if len(self._all()) > before:
            new = self._all()[before:]
            raise AssertionError(
                f"{self.label} expected silence, but the bot sent: "
                + " | ".join(message.text[:200] for message in new)
            )

    async def wait_until(
        self, predicate: Callable[[], bool], what: str, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """Wait for any condition, also one outside the sandbox (the bot's database)."""
        if not await self.server.wait_for(predicate, timeout, external=True):
            raise AssertionError(
                f"{self.label}: waited {timeout}s for {what}.\n{self._transcript()}"
            )

    def _transcript(self) -> str:
        lines = [f"The bot sent to {self.label} ({len(self._all())} messages):"]
        for message in self._all()[-8:]:
            buttons = f"  [{' | '.join(message.button_texts)}]" if message.buttons else ""
            poll = (
                f"  (poll: {[o['text'] for o in message.poll['options']]})" if message.poll else ""
            )
            lines.append(f"  #{message.message_id}: {message.text[:300]!r}{buttons}{poll}")
        return "\n".join(lines)


class Person(ChatView):
    """A Telegram user with a private chat with the bot."""

    def __init__(self, world: World, user: SandboxUser) -> None:
        super().__init__(world, user.id, user.first_name)
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.first_name

    def _chat(self) -> dict[str, Any]:
        return self.server.chats[self.user.id].as_api(self.server.users)

    async def send(self, text: str) -> int:
        """Write `text` to the bot in the private chat (commands included)."""
        return await self.world.post_message(self.user, self.user.id, text=text)

    async def edit(self, message_id: int, text: str) -> None:
        """Edit a message this person sent earlier (Telegram sends `edited_message`)."""
        chat = self.server.chats[self.user.id].as_api(self.server.users)
        await self.server.push_update(
            "edited_message",
            {
                "message_id": message_id,
                "from": self.user.as_api(),
                "chat": chat,
                "date": int(self.server.now()) - 5,
                "edit_date": int(self.server.now()),
                "text": text,
            },
        )

    async def send_photo(self, caption: str | None = None) -> int:
        photo = [
            {"file_id": secrets.token_hex(8), "file_unique_id": "p1", "width": 90, "height": 90}
        ]
        extra: dict[str, Any] = {"photo": photo}
        if caption:
            extra["caption"] = caption
        return await self.world.post_message(self.user, self.user.id, extra=extra)

    async def send_sticker(self) -> int:
        sticker = {
            "file_id": secrets.token_hex(8),
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self.world.post_message(self.user, self.user.id, extra={"sticker": sticker})

    async def send_voice(self) -> int:
        voice = {"file_id": secrets.token_hex(8), "file_unique_id": "v1", "duration": 3}
        return await self.world.post_message(self.user, self.user.id, extra={"voice": voice})

    async def press(self, button: str, *, message: SentMessage | None = None) -> str:
        """Press the inline button whose text contains `button` on the newest message showing it."""
        return await self.world.press(self, button, chat_id=self.user.id, message=message)

    async def vote(self, poll_message: SentMessage, option_ids: list[int]) -> None:
        """Choose `option_ids` (0-based) in a poll; a second call changes the vote.

        Raises `PollClosed` / `VoteRefused` where a Telegram client would not let them.
        """
        await self.world.vote(self.user, poll_message, option_ids)

    async def retract(self, poll_message: SentMessage) -> None:
        """Take back the vote ("Retract vote"); refused where the poll allows no revoting."""
        await self.world.vote(self.user, poll_message, [])

    async def block(self) -> None:
        """Block the bot: Telegram tells the bot with a `my_chat_member` update."""
        self.user.blocked_bot = True
        await self.world.chat_member_changed(self.user, "member", "kicked")

    async def unblock(self) -> None:
        self.user.blocked_bot = False
        await self.world.chat_member_changed(self.user, "kicked", "member")

    async def callback_answer(
        self, query_id: str, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """What the bot answered to a button press (the small toast)."""
        await self.wait_until(
            lambda: bool(self.server.callback_answers.get(query_id)),
            "the button to be answered",
            timeout,
        )
        return self.server.callback_answers[query_id]


class Group(ChatView):
    """A group or supergroup the bot is a member of."""

    def __init__(self, world: World, chat: SandboxChat) -> None:
        super().__init__(world, chat.id, chat.title or str(chat.id))

    @property
    def id(self) -> int:
        return self._current_id()

    @property
    def chat(self) -> SandboxChat:
        return self.server.chats[self._current_id()]

    def add(self, *people: Person, admin: bool = False) -> None:
        """Make people members silently (set-up; use `join` for what the bot should notice)."""
        for person in people:
            self.chat.member_ids.add(person.id)
            if admin:
                self.chat.admin_ids.add(person.id)

    async def join(self, person: Person) -> int:
        """`person` joins; the bot sees the service message (even in privacy mode)."""
        self.chat.member_ids.add(person.id)
        return await self.world.push_message(
            person.user.as_api(), self._current_id(), {"new_chat_members": [person.user.as_api()]}
        )

    async def leave(self, person: Person) -> int:
        self.chat.member_ids.discard(person.id)
        self.chat.admin_ids.discard(person.id)
        return await self.world.push_message(
            person.user.as_api(), self._current_id(), {"left_chat_member": person.user.as_api()}
        )

    async def remove_bot(self, by: Person) -> None:
        """An admin removes the bot: `my_chat_member` (kicked), later sends get 403."""
        self.chat.bot_is_member = False
        await self.world.server.push_update(
            "my_chat_member",
            {
                "chat": self.chat.as_api(self.server.users),
                "from": by.user.as_api(),
                "date": int(self.server.now()),
                "old_chat_member": {"status": "member", "user": self.server.bot_user},
                "new_chat_member": {
                    "status": "kicked",
                    "user": self.server.bot_user,
                    "until_date": 0,
                },
            },
        )

    async def send(self, person: Person, text: str, *, reply_to: SentMessage | None = None) -> int:
        """`person` writes `text` in the group.

        With privacy mode on (the default) the bot only receives commands and replies to its
        own messages, as on Telegram; other text is "sent" but the bot never sees it.
        """
        chat_id = self._current_id()
        extra: dict[str, Any] = {}
        if reply_to is not None:
            extra["reply_to_message"] = self.server._message_api(reply_to)
        if self.server.privacy_mode and not text.startswith("/") and reply_to is None:
            return self.server.next_message_id(chat_id)
        return await self.world.post_message(person.user, chat_id, text=text, extra=extra)

    async def press(
        self, person: Person, button: str, *, message: SentMessage | None = None
    ) -> str:
        return await self.world.press(person, button, chat_id=self._current_id(), message=message)

    async def migrate_to_supergroup(self) -> int:
        """Upgrade to a supergroup as Telegram does: a new id, service messages in both chats."""
        old = self.server.chats[self.chat_id]
        new = self.server.create_group(old.title or "", supergroup=True)
        new.member_ids, new.admin_ids = set(old.member_ids), set(old.admin_ids)
        old.migrated_to = new.id
        actor = next(iter(old.admin_ids or old.member_ids), None)
        sender = self.server.users[actor].as_api() if actor else self.server.bot_user
        await self.world.push_message(sender, old.id, {"migrate_to_chat_id": new.id})
        await self.world.push_message(sender, new.id, {"migrate_from_chat_id": old.id})
        return new.id


class World:
    """The people and groups around the bot, built on one sandbox server."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server

    def user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language: str | None = "de",
    ) -> Person:
        return Person(
            self,
            self.server.create_user(
                first_name, last_name=last_name, username=username, language_code=language
            ),
        )

    async def group(
        self,
        title: str,
        *,
        members: list[Person] | None = None,
        admins: list[Person] | None = None,
        supergroup: bool = False,
    ) -> Group:
        """A group the bot has just been added to (the bot receives `my_chat_member`)."""
        chat = self.server.create_group(title, supergroup=supergroup)
        group = Group(self, chat)
        group.add(*(members or []))
        group.add(*(admins or []), admin=True)
        people = (admins or []) + (members or [])
        if people:
            adder = people[0]
            await self.server.push_update(
                "my_chat_member",
                {
                    "chat": chat.as_api(self.server.users),
                    "from": adder.user.as_api(),
                    "date": int(self.server.now()),
                    "old_chat_member": {"status": "left", "user": self.server.bot_user},
                    "new_chat_member": {"status": "member", "user": self.server.bot_user},
                },
            )
        return group

    def _entities(self, text: str) -> list[dict[str, Any]]:
        if not text.startswith("/"):
            return []
        command = text.split()[0]
        return [
            {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
        ]

    async def post_message(
        self,
        user: SandboxUser,
        chat_id: int,
        *,
        text: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        chat = self.server.chats[chat_id]
        if chat.type == "private":
            user.started_bot = True
        payload: dict[str, Any] = dict(extra or {})
        if text is not None:
            payload["text"] = text
            entities = self._entities(text)
            if entities:
                payload["entities"] = entities
        return await self.push_message(user.as_api(), chat_id, payload)

    async def push_message(
        self, sender: dict[str, Any], chat_id: int, payload: dict[str, Any]
    ) -> int:
        message_id = self.server.next_message_id(chat_id)
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": self.server.chats[chat_id].as_api(self.server.users),
            "date": int(self.server.now()),
            **payload,
        }
        await self.server.push_update("message", message)
        return message_id

    async def press(
        self, person: Person, button: str, *, chat_id: int, message: SentMessage | None = None
    ) -> str:
        candidates = [message] if message else list(reversed(self.server.sent_to(chat_id)))
        for candidate in candidates:
            for pressed in candidate.buttons:
                if (
                    button.casefold() in str(pressed["text"]).casefold()
                    and "callback_data" in pressed
                ):
                    return await self.press_data(
                        person, str(pressed["callback_data"]), chat_id=chat_id, message=candidate
                    )
        shown = [m.button_texts for m in candidates[:3] if m.buttons]
        where = person.label if chat_id == person.id else str(chat_id)
        raise AssertionError(
            f"{person.name} found no button {button!r} in {where}; newest buttons: {shown}"
        )

    async def press_data(
        self, person: Person, data: str, *, chat_id: int, message: SentMessage
    ) -> str:
        """A button press carrying `data`, also data no button shows (old clients, forgeries)."""
        query_id = secrets.token_hex(8)
        self.server.callback_answers[query_id] = {}
        await self.server.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": person.user.as_api(),
                "message": self.server._message_api(message),
                "chat_instance": str(chat_id),
                "data": data,
            },
        )
        return query_id

    async def vote(
        self, user: SandboxUser, poll_message: SentMessage, option_ids: list[int]
    ) -> None:
        """`user` votes (an empty list retracts); the server keeps the votes and the counts."""
        poll = self.server.poll_of(poll_message)
        await self.server.vote(user, poll["id"], option_ids)

    async def chat_member_changed(self, user: SandboxUser, old: str, new: str) -> None:
        await self.server.push_update(
            "my_chat_member",
            {
                "chat": self.server.chats[user.id].as_api(self.server.users),
                "from": user.as_api(),
                "date": int(self.server.now()),
                "old_chat_member": {"status": old, "user": self.server.bot_user}
                | ({"until_date": 0} if old == "kicked" else {}),
                "new_chat_member": {"status": new, "user": self.server.bot_user}
                | ({"until_date": 0} if new == "kicked" else {}),
            },
        )
