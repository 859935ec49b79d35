"""What `/healthz` reports: the database answers, the outbox keeps up, updates come in."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from bot.services import Services
from storage import intake as intake_store
from storage import outbox as outbox_store

logger = logging.getLogger(__name__)

# A monitor asks often and must get an answer, not hang on a stuck database.
CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Health:
    database_ok: bool
    checked_at: dt.datetime
    outbox_due: int | None = None
    oldest_due_at: dt.datetime | None = None
    last_update_handled_at: dt.datetime | None = None

    @property
    def healthy(self) -> bool:
        # A backlog is reported, not judged: after quiet hours or a broadcast it is normal,
        # and the monitor knows best how long is too long (oldest_due_seconds).
        return self.database_ok

    def as_json(self) -> dict[str, Any]:
        oldest = self.oldest_due_at
        return {
            "status": "ok" if self.healthy else "unavailable",
            "database": "ok" if self.database_ok else "unreachable",
            "outbox": {
                "due": self.outbox_due,
                "oldest_due_at": _iso(oldest),
                "oldest_due_seconds": (
                    None if oldest is None else round((self.checked_at - oldest).total_seconds())
                ),
            },
            "last_update_handled_at": _iso(self.last_update_handled_at),
        }


async def check_health(services: Services) -> Health:
    now = services.clock.now()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), services.db.session() as session:
            due, oldest = await outbox_store.due_backlog(session, now=now)
            last = await intake_store.last_handled(session)
    except Exception as error:  # any failure to read means the same to a monitor
        logger.warning("health_database_unreachable error=%s", type(error).__name__)
        return Health(database_ok=False, checked_at=now)
    return Health(
        database_ok=True,
        checked_at=now,
        outbox_due=due,
        oldest_due_at=oldest,
        last_update_handled_at=last,
    )


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat(timespec="seconds")
