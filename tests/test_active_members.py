"""The active-member rule says the same in SQL and in Python."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from storage.active_members import active_member_clause, is_active_member
from storage.db import Database
from storage.tables import Member

NOW = dt.datetime(2027, 1, 4, 10, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


async def test_sql_clause_and_python_twin_agree(database_url: str) -> None:
    cases: dict[int, dict[str, object]] = {
        1: {"consent_at": NOW - HOUR},  # active
        2: {},  # never consented
        3: {"consent_at": NOW - HOUR, "reachable": False},  # blocked the bot
        4: {"consent_at": NOW - HOUR, "paused_until": NOW + HOUR},  # paused
        5: {"consent_at": NOW - HOUR, "paused_until": NOW},  # the pause ends right now
        6: {"consent_at": NOW - HOUR, "paused_until": NOW - HOUR},  # back from a pause
    }
    db = Database(database_url)
    try:
        async with db.write() as session:
            for telegram_id, fields in cases.items():
                session.add(Member.model_validate({"telegram_id": telegram_id, **fields}))
            await session.commit()
        async with db.session() as session:
            members = (await session.exec(select(Member).order_by(col(Member.id)))).all()
            in_sql = (
                await session.exec(select(Member.telegram_id).where(active_member_clause(NOW)))
            ).all()
    finally:
        await db.close()
    in_python = [m.telegram_id for m in members if is_active_member(m, NOW)]
    assert sorted(in_sql) == in_python == [1, 5, 6]
