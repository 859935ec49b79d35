"""Cohorts, members and invites.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort")),
        sa.UniqueConstraint("name", name=op.f("uq_cohort_name")),
    )
    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("used_count", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            ondelete="CASCADE",
            name=op.f("fk_invite_cohort_id_cohort"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite")),
        sa.UniqueConstraint("code", name=op.f("uq_invite_code")),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("consent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("job_role", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("is_coordinator", sa.Boolean(), nullable=False),
        sa.Column("paused_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("unreachable_since", storage.types.UTCDateTime(), nullable=True),
        sa.Column("awaiting", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("draft", sa.Text(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            ondelete="SET NULL",
            name=op.f("fk_member_cohort_id_cohort"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_member_telegram_id")),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_username"), ["username"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_username"))

    op.drop_table("member")
    op.drop_table("invite")
    op.drop_table("cohort")
