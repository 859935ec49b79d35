"""Broadcasts: a coordinator's message to a segment of the active members.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("send_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("report_queued_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            ondelete="SET NULL",
            name=op.f("fk_broadcast_cohort_id_cohort"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
        sa.UniqueConstraint("request_key", name=op.f("uq_broadcast_request_key")),
    )
    op.create_index(op.f("ix_broadcast_status"), "broadcast", ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("broadcast")
