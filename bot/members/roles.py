"""Who may do what. Checked at every call; never cached."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.payloads import message_payload
from bot.purpose_keys import RoleNoticeKey
from bot.services import Services
from storage import members as member_store
from storage.tables import Member


async def is_coordinator(session: AsyncSession, *, telegram_id: int, settings: Settings) -> bool:
    """Coordinators are named in COORDINATOR_IDS (bootstrap) or were given the role in the bot."""
    if telegram_id in settings.coordinator_ids:
        return True
    member = await member_store.get_member(session, telegram_id=telegram_id)
    return member is not None and member.is_coordinator


@dataclass(frozen=True)
class RoleChange:
    """What `/coordinator add|remove` did: the text key for the coordinator who asked, the
    person's name, and the member whose role changed (None: nothing changed)."""

    key: str
    name: str = ""
    changed: Member | None = None


async def change_coordinator_role(
    session: AsyncSession,
    *,
    services: Services,
    telegram_id: int | None = None,
    username: str | None = None,
    add: bool,
) -> RoleChange:
    """Give or take the coordinator role; the person is told through the outbox in the same
    transaction. People in COORDINATOR_IDS keep the role. The caller commits, then wakes the
    outbox (as `change_role` does)."""
    if telegram_id is not None:
        target = await member_store.get_member(session, telegram_id=telegram_id)
    elif username:
        target = await member_store.get_member_by_username(session, username=username)
    else:
        target = None
    if target is None:
        return RoleChange("coordinator.unknown_person")
    action = "add" if add else "remove"
    name = target.display_name or str(target.telegram_id)
    if not add and target.telegram_id in services.settings.coordinator_ids:
        return RoleChange("coordinator.configured", name)
    target.is_coordinator = add
    await member_store.save_member(session, member=target)
    text = services.translate(target.language, f"coordinator.told_{action}")
    await services.outbox.enqueue(
        session,
        key=RoleNoticeKey(target.telegram_id, add, services.clock.now().isoformat()).encode(),
        chat_id=target.telegram_id,
        payload=message_payload(str(text)),
        respect_quiet_hours=False,
    )
    return RoleChange(f"coordinator.done_{action}", name, target)


# ------------------------------------------------------------------------------ use cases


async def may_coordinate(services: Services, *, telegram_id: int) -> bool:
    """Whether this person may use the coordinator commands right now."""
    async with services.db.session() as session:
        return await is_coordinator(session, telegram_id=telegram_id, settings=services.settings)


async def change_role(
    services: Services, *, telegram_id: int | None, username: str | None, add: bool
) -> RoleChange:
    """`/coordinator add|remove`: the change and the message telling the person are committed
    together; then the outbox delivers it."""
    async with services.db.write() as session:
        change = await change_coordinator_role(
            session, services=services, telegram_id=telegram_id, username=username, add=add
        )
        await session.commit()
    if change.changed is not None:
        services.outbox.wake()
    return change


async def named_coordinators(services: Services) -> list[Member]:
    """Coordinators given the role in the bot (not those named in COORDINATOR_IDS)."""
    async with services.db.session() as session:
        named = await member_store.coordinators(session)
    return [m for m in named if m.telegram_id not in services.settings.coordinator_ids]
