"""Fixtures: a fresh database, the sandbox and a running bot for every test.

The database is SQLite (a file per test) unless `ALUMNI_TEST_DB=postgres`: then the session
starts a throwaway PostgreSQL server and every test gets its own database, a copy of a migrated
template.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sandbox.harness import FAST_LIMITS, Harness, sandbox_settings
from sandbox.limits import SandboxLimits
from sandbox.postgres import PostgresServer
from sandbox.server import SandboxServer
from storage.db import Database

COORDINATOR_ID = 900_001  # the sandbox user created by the `coordinator` fixture gets this id
BACKEND = os.environ.get("ALUMNI_TEST_DB", "sqlite").strip().lower() or "sqlite"
if BACKEND not in ("sqlite", "postgres"):
    raise pytest.UsageError(f"ALUMNI_TEST_DB={BACKEND!r}: expected sqlite or postgres")
POSTGRES_TEMPLATE = "template_migrated"
_database_numbers = itertools.count(1)


def pytest_report_header() -> str:
    return f"database: {BACKEND}"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; every test starts from a copy (much faster than migrating each time)."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.migrate()
        await db.close()

    asyncio.run(migrate())
    return path


@pytest.fixture
def database_path(tmp_path: Path, migrated_template: Path) -> Path:
    path = tmp_path / "alumni.db"
    shutil.copy(migrated_template, path)
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL server of this test session (started only when a test needs it)."""
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> str:
    """Migrate once; every test's database is created from it (CREATE DATABASE ... TEMPLATE)."""
    import asyncio

    with postgres.connect() as connection:
        connection.execute(f"CREATE DATABASE {POSTGRES_TEMPLATE}")

    async def migrate() -> None:
        db = Database(postgres.url(POSTGRES_TEMPLATE))
        await db.migrate()
        await db.close()  # a template must have no open connections when it is copied

    asyncio.run(migrate())
    return POSTGRES_TEMPLATE


def _postgres_database(request: pytest.FixtureRequest, template: str) -> Iterator[str]:
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"t_{next(_database_numbers)}"
    with server.connect() as connection:
        connection.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield server.url(name)
    with server.connect() as connection:
        connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of its own for this test, on the backend under test."""
    if BACKEND == "sqlite":
        yield f"sqlite+aiosqlite:///{request.getfixturevalue('database_path')}"
        return
    yield from _postgres_database(request, request.getfixturevalue("postgres_template"))


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables, not migrated) on the backend under test."""
    if BACKEND == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    yield from _postgres_database(request, "template0")


@pytest.fixture
def sandbox_limits() -> SandboxLimits:
    return FAST_LIMITS


@pytest.fixture
async def sandbox(sandbox_limits: SandboxLimits) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(limits=sandbox_limits, hang_seconds=5) as server:
        yield server


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module (or parametrize) to start the bot with other settings."""
    return {"coordinator_ids": [COORDINATOR_ID]}


@pytest.fixture
async def bot(
    sandbox: SandboxServer, database_url: str, settings_overrides: dict[str, object]
) -> AsyncIterator[Harness]:
    harness = Harness(sandbox, sandbox_settings(sandbox, database_url, **settings_overrides))
    async with harness:
        yield harness
