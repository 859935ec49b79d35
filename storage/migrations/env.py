"""Alembic environment: always handed a live connection by storage.db (no ini file)."""

from alembic import context
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers every table on the metadata)
from storage.db import compare_filter

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.db.Database.migrate()")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
    include_object=compare_filter(connection),
)
with context.begin_transaction():
    context.run_migrations()
