"""The migrations build exactly the schema the models describe, and run down and up again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import BACKEND
from sqlalchemy import Connection, inspect
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables)
from storage.db import Database, alembic_config, compare_filter

OLD_SQLITE_SCHEMA = Path(__file__).parent / "fixtures" / "schema_0008_before_naming_convention.sql"


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": compare_filter(connection)}
    )
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


def _constraint_names(connection: Connection) -> dict[str, set[str]]:
    """Per table: the names of its primary key, unique constraints, foreign keys and indexes."""
    inspector = inspect(connection)
    names: dict[str, set[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        found = {inspector.get_pk_constraint(table.name)["name"]}
        found |= {c["name"] for c in inspector.get_unique_constraints(table.name)}
        found |= {c["name"] for c in inspector.get_foreign_keys(table.name)}
        found |= {c["name"] for c in inspector.get_indexes(table.name)}
        names[table.name] = {name for name in found if name is not None}
    return names


def _model_constraint_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        found = {str(c.name) for c in table.constraints} | {str(i.name) for i in table.indexes}
        names[table.name] = found
    return names


async def test_constraints_are_named_by_the_convention(empty_database_url: str) -> None:
    """Identical names on every backend: a later migration can drop or alter one by name."""
    db = Database(empty_database_url)
    await db.migrate()
    async with db.engine.connect() as connection:
        names = await connection.run_sync(_constraint_names)
    await db.close()
    assert names == _model_constraint_names()
    assert all(name.startswith(("pk_", "uq_", "fk_", "ix_")) for n in names.values() for name in n)


@pytest.mark.skipif(BACKEND != "sqlite", reason="an SQLite file from before the convention")
async def test_an_sqlite_database_from_before_the_naming_convention_still_matches(
    tmp_path: Path,
) -> None:
    """Databases migrated while constraints were unnamed keep working and match the models."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(OLD_SQLITE_SCHEMA.read_text())
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()  # already at head: nothing to do
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    await db.close()
    assert differences == []
