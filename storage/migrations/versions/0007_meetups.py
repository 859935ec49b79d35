"""Meetups: the meeting, its announcement copies, RSVPs, timed stages, follow-up answers.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("counts_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            ondelete="SET NULL",
            name=op.f("fk_meetup_cohort_id_cohort"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetup")),
        sa.UniqueConstraint("request_key", name=op.f("uq_meetup_request_key")),
    )
    op.create_index(op.f("ix_meetup_starts_at"), "meetup", ["starts_at"], unique=False)
    op.create_index(op.f("ix_meetup_status"), "meetup", ["status"], unique=False)
    op.create_table(
        "meetup_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("shown_version", sa.Integer(), nullable=False),
        sa.Column("refreshes", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meetup_id"],
            ["meetup.id"],
            ondelete="CASCADE",
            name=op.f("fk_meetup_copy_meetup_id_meetup"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            ondelete="CASCADE",
            name=op.f("fk_meetup_copy_member_id_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetup_copy")),
        sa.UniqueConstraint("meetup_id", "chat_id", name=op.f("uq_meetup_copy_meetup_id_chat_id")),
    )
    op.create_index(op.f("ix_meetup_copy_meetup_id"), "meetup_copy", ["meetup_id"], unique=False)
    op.create_index(op.f("ix_meetup_copy_member_id"), "meetup_copy", ["member_id"], unique=False)
    op.create_table(
        "meetup_rsvp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name_visible", sa.Boolean(), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("waiting_since", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meetup_id"],
            ["meetup.id"],
            ondelete="CASCADE",
            name=op.f("fk_meetup_rsvp_meetup_id_meetup"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            ondelete="CASCADE",
            name=op.f("fk_meetup_rsvp_member_id_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetup_rsvp")),
        sa.UniqueConstraint(
            "meetup_id", "member_id", name=op.f("uq_meetup_rsvp_meetup_id_member_id")
        ),
    )
    op.create_index(op.f("ix_meetup_rsvp_meetup_id"), "meetup_rsvp", ["meetup_id"], unique=False)
    op.create_index(op.f("ix_meetup_rsvp_member_id"), "meetup_rsvp", ["member_id"], unique=False)
    op.create_table(
        "meetup_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("done_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meetup_id"],
            ["meetup.id"],
            ondelete="CASCADE",
            name=op.f("fk_meetup_stage_meetup_id_meetup"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetup_stage")),
        sa.UniqueConstraint("meetup_id", "stage", name=op.f("uq_meetup_stage_meetup_id_stage")),
    )
    op.create_index(op.f("ix_meetup_stage_meetup_id"), "meetup_stage", ["meetup_id"], unique=False)
    op.create_table(
        "meetup_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meetup_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meetup_id"],
            ["meetup.id"],
            ondelete="CASCADE",
            name=op.f("fk_meetup_feedback_meetup_id_meetup"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            ondelete="CASCADE",
            name=op.f("fk_meetup_feedback_member_id_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetup_feedback")),
        sa.UniqueConstraint(
            "meetup_id", "member_id", name=op.f("uq_meetup_feedback_meetup_id_member_id")
        ),
    )
    op.create_index(
        op.f("ix_meetup_feedback_meetup_id"), "meetup_feedback", ["meetup_id"], unique=False
    )
    op.create_index(
        op.f("ix_meetup_feedback_member_id"), "meetup_feedback", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("meetup_feedback")
    op.drop_table("meetup_stage")
    op.drop_table("meetup_rsvp")
    op.drop_table("meetup_copy")
    op.drop_table("meetup")
