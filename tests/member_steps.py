"""Steps the members tests share: the configured coordinator, onboarding by hand, replies."""

from __future__ import annotations

import time

from conftest import COORDINATOR_ID

from sandbox.driver import Group, Person
from sandbox.harness import Harness
from storage import members as member_store
from storage.tables import Member


def configured_coordinator(bot: Harness, name: str = "Carla") -> Person:
    """The person whose id is in COORDINATOR_IDS (see conftest.settings_overrides)."""
    return Person(bot.world, bot.server.create_user(name, user_id=COORDINATOR_ID))


async def stored(bot: Harness, person: Person) -> Member | None:
    async with bot.services.db.session() as session:
        return await member_store.get_member(session, telegram_id=person.id)


async def consent(person: Person, start: str = "/start") -> None:
    await person.send(start)
    await person.expect("Datenschutz")
    await person.press("Einverstanden")
    await person.expect("Wie sollen dich die anderen sehen")


async def reply_in_group(group: Group, person: Person, text: str, *, to: Person) -> int:
    """`person` answers `to`'s message in the group with `text` (a command)."""
    world = group.world
    chat = world.server.chats[group.id].as_api(world.server.users)
    replied = {
        "message_id": world.server.next_message_id(group.id),
        "from": to.user.as_api(),
        "chat": chat,
        "date": int(time.time()),
        "text": "Hallo zusammen!",
    }
    command = text.split()[0]
    return await world.push_message(
        person.user.as_api(),
        group.id,
        {
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
            "reply_to_message": replied,
        },
    )
