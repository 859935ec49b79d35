"""Moving the bot's data into another database, e.g. from SQLite to PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from storage import copy as copy_store
from storage.db import Database


class CopyRefused(Exception):
    """The target is not empty, or the copy does not add up; nothing was committed."""


@dataclass(frozen=True)
class CopyReport:
    rows: dict[str, int]  # table -> rows copied (equal in source and target)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


async def copy_database(*, source_url: str, target_url: str) -> CopyReport:
    """Migrate both to the newest schema, copy every row in one transaction of the target,
    check that each table holds as many rows as the source, and move id sequences on."""
    source, target = Database(source_url), Database(target_url)
    try:
        await source.migrate()
        await target.migrate()
        tables = copy_store.tables_in_copy_order()
        async with source.session() as reading, target.write() as writing:
            for table in tables:
                if await copy_store.row_count(writing, table=table):
                    raise CopyRefused(f"the target database is not empty (table {table.name})")
            rows: dict[str, int] = {}
            for table in tables:
                copied = await copy_store.copy_rows(reading, target=writing, table=table)
                expected = await copy_store.row_count(reading, table=table)
                found = await copy_store.row_count(writing, table=table)
                if not copied == expected == found:
                    raise CopyRefused(
                        f"table {table.name}: {expected} rows in the source, {found} copied"
                    )
                rows[table.name] = found
            await copy_store.reset_id_sequences(writing, tables=tables)
            await writing.commit()
    finally:
        await source.close()
        await target.close()
    return CopyReport(rows=rows)
