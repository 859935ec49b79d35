"""Copying every table from one database into another (`python -m bot copy-db`)."""

from __future__ import annotations

from sqlalchemy import Integer, Table, func, select, text
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import storage.tables  # noqa: F401  (registers every table on the metadata)

BATCH_ROWS = 1000


def tables_in_copy_order() -> list[Table]:
    """Every table of the bot, parents before the tables whose foreign keys point at them."""
    return list(SQLModel.metadata.sorted_tables)


async def row_count(session: AsyncSession, *, table: Table) -> int:
    result = await session.execute(select(func.count()).select_from(table))
    return int(result.scalar_one())


async def copy_rows(source: AsyncSession, *, target: AsyncSession, table: Table) -> int:
    """Every row of `table`, ids included, in batches; returns how many were copied."""
    copied = 0
    result = await source.stream(select(table).order_by(*table.primary_key.columns))
    async for batch in result.mappings().partitions(BATCH_ROWS):
        await target.execute(table.insert(), [dict(row) for row in batch])
        copied += len(batch)
    return copied


async def reset_id_sequences(session: AsyncSession, *, tables: list[Table]) -> None:
    """PostgreSQL: rows copied with their ids leave each id sequence at its start; move it past
    the highest id so the next insert gets a fresh one. (SQLite takes max(id) + 1 by itself.)"""
    dialect = (await session.connection()).dialect
    if dialect.name != "postgresql":
        return
    quote = dialect.identifier_preparer.quote
    for table in tables:
        [key, *more] = list(table.primary_key.columns)
        if more or not isinstance(key.type, Integer):
            continue
        column, name = quote(key.name), quote(table.name)
        await session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column),"
                f" COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {name}"
            ),
            {"table": name, "column": key.name},
        )
