"""Polls: the poll, its native copies in Telegram, the votes, and guided drafts.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("allows_multiple", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("hide_results", sa.Boolean(), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("result_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("remind_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("reminded_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("result_queued_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohort.id"], ondelete="SET NULL", name=op.f("fk_poll_cohort_id_cohort")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll")),
        sa.UniqueConstraint("request_key", name=op.f("uq_poll_request_key")),
    )
    op.create_index(op.f("ix_poll_closes_at"), "poll", ["closes_at"], unique=False)
    op.create_index(op.f("ix_poll_closed_at"), "poll", ["closed_at"], unique=False)
    op.create_table(
        "poll_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("telegram_poll_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("option_counts", sa.JSON(), nullable=False),
        sa.Column("voter_count", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            ondelete="CASCADE",
            name=op.f("fk_poll_copy_member_id_member"),
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], ondelete="CASCADE", name=op.f("fk_poll_copy_poll_id_poll")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_copy")),
        sa.UniqueConstraint("poll_id", "chat_id", name=op.f("uq_poll_copy_poll_id_chat_id")),
        sa.UniqueConstraint("telegram_poll_id", name=op.f("uq_poll_copy_telegram_poll_id")),
    )
    op.create_index(op.f("ix_poll_copy_poll_id"), "poll_copy", ["poll_id"], unique=False)
    op.create_index(op.f("ix_poll_copy_member_id"), "poll_copy", ["member_id"], unique=False)
    op.create_table(
        "poll_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("copy_id", sa.Integer(), nullable=False),
        sa.Column("voter", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("option_ids", sa.JSON(), nullable=False),
        sa.Column("voted_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["copy_id"],
            ["poll_copy.id"],
            ondelete="CASCADE",
            name=op.f("fk_poll_vote_copy_id_poll_copy"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            ondelete="CASCADE",
            name=op.f("fk_poll_vote_member_id_member"),
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], ondelete="CASCADE", name=op.f("fk_poll_vote_poll_id_poll")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_vote")),
        sa.UniqueConstraint("poll_id", "voter", name=op.f("uq_poll_vote_poll_id_voter")),
    )
    op.create_index(op.f("ix_poll_vote_poll_id"), "poll_vote", ["poll_id"], unique=False)
    op.create_index(op.f("ix_poll_vote_member_id"), "poll_vote", ["member_id"], unique=False)
    op.create_table(
        "poll_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_draft")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_poll_draft_telegram_id")),
    )


def downgrade() -> None:
    op.drop_table("poll_draft")
    op.drop_index(op.f("ix_poll_vote_member_id"), table_name="poll_vote")
    op.drop_index(op.f("ix_poll_vote_poll_id"), table_name="poll_vote")
    op.drop_table("poll_vote")
    op.drop_index(op.f("ix_poll_copy_member_id"), table_name="poll_copy")
    op.drop_index(op.f("ix_poll_copy_poll_id"), table_name="poll_copy")
    op.drop_table("poll_copy")
    op.drop_index(op.f("ix_poll_closed_at"), table_name="poll")
    op.drop_index(op.f("ix_poll_closes_at"), table_name="poll")
    op.drop_table("poll")
