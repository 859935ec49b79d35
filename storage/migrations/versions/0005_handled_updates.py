"""Handled update ids (acknowledge only what is done, skip what comes again) and the bot's run.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handled_update",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_handled_update")),
    )
    op.create_table(
        "bot_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("stopped_at", storage.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_run")),
    )


def downgrade() -> None:
    op.drop_table("bot_run")
    op.drop_table("handled_update")
