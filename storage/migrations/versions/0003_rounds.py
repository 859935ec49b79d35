"""Questions, rounds, participation and answers.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_de", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
    )
    op.create_table(
        "round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("scheduled_for", storage.types.UTCDateTime(), nullable=True),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("opened_by", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round")),
        sa.UniqueConstraint("number", name=op.f("uq_round_number")),
        sa.UniqueConstraint("scheduled_for", name=op.f("uq_round_scheduled_for")),
    )
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_status"), ["status"], unique=False)

    op.create_table(
        "round_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_de", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            ondelete="SET NULL",
            name=op.f("fk_round_question_question_id_question"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            ondelete="CASCADE",
            name=op.f("fk_round_question_round_id_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_question")),
        sa.UniqueConstraint(
            "round_id", "position", name=op.f("uq_round_question_round_id_position")
        ),
    )
    with op.batch_alter_table("round_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_question_round_id"), ["round_id"], unique=False)

    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("round_question_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            ondelete="CASCADE",
            name=op.f("fk_answer_member_id_member"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], ondelete="CASCADE", name=op.f("fk_answer_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["round_question_id"],
            ["round_question.id"],
            ondelete="CASCADE",
            name=op.f("fk_answer_round_question_id_round_question"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
        sa.UniqueConstraint(
            "member_id", "round_question_id", name=op.f("uq_answer_member_id_round_question_id")
        ),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_answer_round_id"), ["round_id"], unique=False)

    op.create_table(
        "participation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("postponed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("visibility", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            ondelete="CASCADE",
            name=op.f("fk_participation_member_id_member"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
            ondelete="CASCADE",
            name=op.f("fk_participation_round_id_round"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation")),
        sa.UniqueConstraint(
            "round_id", "member_id", name=op.f("uq_participation_round_id_member_id")
        ),
    )
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participation_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_participation_round_id"), ["round_id"], unique=False)

    op.create_table(
        "schedule_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_state")),
    )


def downgrade() -> None:
    op.drop_table("schedule_state")
    with op.batch_alter_table("participation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participation_round_id"))
        batch_op.drop_index(batch_op.f("ix_participation_member_id"))

    op.drop_table("participation")
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_round_id"))
        batch_op.drop_index(batch_op.f("ix_answer_member_id"))

    op.drop_table("answer")
    with op.batch_alter_table("round_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_question_round_id"))

    op.drop_table("round_question")
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_status"))

    op.drop_table("round")
    op.drop_table("question")
