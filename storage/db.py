"""The database: one async engine, sessions on demand, migrations applied at start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.intake import record_handled_sync

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# PostgreSQL: the key of the transaction-level advisory lock that serialises `write()` sessions
# (of every process on the database, not only this one). Any constant; this one spells "alum".
WRITER_LOCK_KEY = 0x616C756D
_SERIALISED = "serialised_writer"  # Session.info flag of a `write()` session


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# The Telegram update being handled in this task (set by the intake loop). Every transaction
# that commits while it is set also records the update as handled, atomically with its effects,
# so a re-delivery after a crash is recognised and skipped.
@dataclass
class HandlingUpdate:
    update_id: int
    recorded: bool = False  # a transaction of its handling has committed the record


handling_update: ContextVar[HandlingUpdate | None] = ContextVar("handling_update", default=None)


class _IntakeSession(Session):
    """The sync session behind every AsyncSession of ours."""


@event.listens_for(_IntakeSession, "before_commit")
def _record_update(session: Session) -> None:
    current = handling_update.get()
    if current is not None:
        record_handled_sync(session, update_id=current.update_id)
        current.recorded = True


@event.listens_for(_IntakeSession, "after_begin")
def _wait_for_other_writers(session: Session, _transaction: Any, connection: Connection) -> None:
    """PostgreSQL: every transaction of a `write()` session first takes the writer lock, which
    the database releases at commit or rollback."""
    if session.info.get(_SERIALISED):
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


def create_engine(database_url: str) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # Bound values are members' answers and names: keep them out of error messages and logs.
    engine = create_async_engine(url, hide_parameters=True)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def compare_filter(connection: Connection) -> Callable[..., bool]:
    """Alembic's `include_object` for comparing the models with this database.

    SQLite databases migrated before the naming convention hold the same unique constraints
    unnamed; Alembic would report each as missing. They are the same constraint: skip those.
    (A migration that alters one on SQLite names it first: `batch_alter_table(...,
    naming_convention=storage.tables.fields.NAMING_CONVENTION)`.)
    """
    if connection.dialect.name != "sqlite":
        return lambda *_args: True
    inspector = inspect(connection)

    def include(item: Any, _name: Any, kind: str, reflected: bool, compare_to: Any) -> bool:
        if kind != "unique_constraint" or reflected or compare_to is not None:
            return True
        columns = sorted(column.name for column in item.columns)
        return not any(
            found["name"] is None and sorted(found["column_names"]) == columns
            for found in inspector.get_unique_constraints(item.table.name)
        )

    return include


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class Database:
    """Owns the engine; hands out sessions that never expire loaded objects on commit."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = create_engine(database_url)
        self._sessions = async_sessionmaker(
            self.engine,
            class_=AsyncSession,
            sync_session_class=_IntakeSession,
            expire_on_commit=False,
        )
        self.is_sqlite = make_url(database_url).get_backend_name() == "sqlite"
        # SQLite allows one writer; serialising our own writes avoids "database is locked".
        # (PostgreSQL: unused; the database's own advisory lock serialises writers.)
        self.write_lock = asyncio.Lock()

    def describe(self) -> str:
        """The database for a log line: backend and file or host, never a password."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def migrate(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (or for a write that needs no serialisation)."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session for a read-modify-write; the caller commits.

        Writers are serialised. SQLite: in-process, by `write_lock`; it would otherwise fail a
        transaction that read first and then tries to write after another connection committed
        (BUSY_SNAPSHOT). PostgreSQL: by an advisory lock that each transaction of the session
        takes first (so a read-modify-write never sees a stale row), for every process.
        Not reentrant: never open `write()` inside another `write()`.
        """
        if self.is_sqlite:
            async with self.write_lock, self._sessions() as session:
                yield session
            return
        async with self._sessions() as session:
            session.info[_SERIALISED] = True
            await session.connection()  # begin now: wait for the other writers here
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
