"""Check-in rounds (migration 0003): questions, rounds, answers"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables.fields import created_field, telegram_id_field, timestamp_field
from storage.types import UTCDateTime


class Question(SQLModel, table=True):
    """The question set for future rounds; a running round keeps its own copy."""

    __tablename__ = "question"

    id: int | None = Field(default=None, primary_key=True)
    position: int
    text_de: str = Field(sa_type=Text)
    text_en: str | None = Field(default=None, sa_type=Text)
    active: bool = True
    created_at: dt.datetime = created_field()


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Round(SQLModel, table=True):
    __tablename__ = "round"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    status: str = Field(default=RoundStatus.OPEN, max_length=16, index=True)
    # The scheduled opening this round stands for (unique: a schedule slot opens at most once).
    scheduled_for: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, unique=True, sa_column_kwargs={"nullable": True}
    )
    opened_at: dt.datetime = created_field()
    closes_at: dt.datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    closed_at: dt.datetime | None = timestamp_field()
    opened_by: int | None = telegram_id_field(nullable=True)  # None: opened by the schedule


class RoundQuestion(SQLModel, table=True):
    """A question as it was asked in one round."""

    __tablename__ = "round_question"
    __table_args__ = (UniqueConstraint("round_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", index=True)
    question_id: int | None = Field(default=None, foreign_key="question.id", ondelete="SET NULL")
    position: int
    text_de: str = Field(sa_type=Text)
    text_en: str | None = Field(default=None, sa_type=Text)


class Visibility(StrEnum):
    ALL = "all"  # every alumna/alumnus sees the answer with name and region
    COORDINATORS = "coordinators"  # only coordinators see it
    ANONYMOUS = "anonymous"  # everyone sees it, without name or region


class Participation(SQLModel, table=True):
    """A member's place in one round: asked, postponed, finished; and their visibility choice."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("round_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    started_at: dt.datetime | None = timestamp_field()
    postponed_at: dt.datetime | None = timestamp_field()
    finished_at: dt.datetime | None = timestamp_field()
    visibility: str | None = Field(default=None, max_length=16)


class Answer(SQLModel, table=True):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("member_id", "round_question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", index=True)
    round_question_id: int = Field(foreign_key="round_question.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    text: str | None = Field(default=None, sa_type=Text)  # None: skipped
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    hashtags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()


class ScheduleState(SQLModel, table=True):
    """When this database started following the round schedule (one row).

    A scheduled opening missed while the bot was down is opened on start, but only if it lies
    after this moment: a fresh install does not open a round for a slot from before it existed.
    """

    __tablename__ = "schedule_state"

    id: int | None = Field(default=None, primary_key=True)
    started_at: dt.datetime = created_field()
