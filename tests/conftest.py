"""Fixtures: a fresh database, the sandbox and a running bot for every test."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.harness import FAST_LIMITS, Harness, sandbox_settings
from sandbox.limits import SandboxLimits
from sandbox.server import SandboxServer
from storage.db import Database

COORDINATOR_ID = 900_001  # the sandbox user created by the `coordinator` fixture gets this id


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
    sandbox: SandboxServer, database_path: Path, settings_overrides: dict[str, object]
) -> AsyncIterator[Harness]:
    harness = Harness(sandbox, sandbox_settings(sandbox, database_path, **settings_overrides))
    async with harness:
        yield harness
