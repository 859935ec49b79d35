"""What coordinators do with `/round`: open, close, remind now, and see the status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.checkin.timing import is_open
from bot.purpose_keys import ReminderKey
from bot.rounds import lifecycle
from bot.rounds.report import RoundReport, report
from bot.services import Services
from storage import rounds as store
from storage.tables import Round


@dataclass(frozen=True)
class Opened:
    round: Round
    asked: int  # members prompted


@dataclass(frozen=True)
class AlreadyOpen:
    round: Round


@dataclass(frozen=True)
class Reminded:
    round: Round
    queued: int


async def open_now(
    services: Services, *, duration: dt.timedelta, opened_by: int | None
) -> Opened | AlreadyOpen | None:
    """Open a round now unless one is open; None when there are no questions to ask."""
    async with services.db.write() as session:
        current = await store.current_round(session)
        if current is not None:
            return AlreadyOpen(current)
        opened = await lifecycle.open_round(
            session,
            services=services,
            now=services.clock.now(),
            duration=duration,
            opened_by=opened_by,
        )
        if opened is None:
            return None
        asked = len(await store.participants(session, round_id=opened.id or 0))
        await session.commit()
    services.outbox.wake()
    return Opened(opened, asked)


async def close_now(services: Services) -> Round | None:
    """Close the open round (the digest follows); None when none is open."""
    async with services.db.write() as session:
        current = await store.current_round(session)
        if current is None:
            return None
        await lifecycle.close_round(
            session, services=services, round_=current, now=services.clock.now()
        )
        await session.commit()
    services.outbox.wake()
    return current


async def remind_now(services: Services, *, command_message_id: int) -> Reminded | None:
    """Remind everyone who has not finished, keyed by the command's message: a redelivered
    update reminds nobody twice. None when no round is open."""
    stage = ReminderKey.manual_stage(command_message_id)
    async with services.db.write() as session:
        current = await store.current_round(session)
        if current is None or current.id is None:
            return None
        queued = 0
        if is_open(current, services.clock.now()):
            queued = await lifecycle.send_reminders(
                session, services=services, round_=current, stage=stage, now=services.clock.now()
            )
        await session.commit()
    services.outbox.wake()
    return Reminded(current, queued)


async def status(services: Services, *, no_cohort: str) -> RoundReport | None:
    """The open round's status, else the latest round's; None before the first round."""
    async with services.db.session() as session:
        current = await store.current_round(session) or await store.latest_round(session)
        if current is None:
            return None
        return await report(session, round_=current, no_cohort=no_cohort)
