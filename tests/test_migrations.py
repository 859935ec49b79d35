"""The migrations build exactly the schema the models describe, and run down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables)
from storage.db import Database, alembic_config


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def _down_and_up(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")
    command.upgrade(config, "head")


async def test_migrations_match_the_models(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    await db.migrate()
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    await db.close()
    assert differences == [], "a model changed without a migration (or the other way round)"


async def test_migrations_downgrade_and_upgrade_again(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    await db.migrate()
    async with db.engine.begin() as connection:
        await connection.run_sync(_down_and_up)
        differences = await connection.run_sync(_differences)
    await db.close()
    assert differences == []
