"""Synchronous reads of the bot's database for `wait_until` conditions (test-only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from storage.db import WRITER_LOCK_KEY, Database


def peek_one(database_url: str, sql: str, **params: Any) -> tuple[Any, ...] | None:
    """The first row of `sql` (named `:params`), read with the backend's sync driver."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(drivername="sqlite")  # aiosqlite -> the standard library's sqlite3
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            row = connection.execute(text(sql), params).first()
    finally:
        engine.dispose()
    return None if row is None else tuple(row)


async def writers_waiting(db: Database) -> int:
    """PostgreSQL: how many transactions wait for the writer lock of `Database.write()`."""
    async with db.session() as session:
        result = await session.exec(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND classid = 0 AND objid = :key"
            ).bindparams(key=WRITER_LOCK_KEY)
        )
        return int(result.scalar_one())
