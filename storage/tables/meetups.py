"""Meetups (migration 0007): the meeting, its announcement copies, RSVPs, reminder stages and the
follow-up answers
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables.fields import created_field, telegram_id_field, timestamp_field
from storage.types import UTCDateTime


class MeetupStatus(StrEnum):
    DRAFT = "draft"  # shown to its coordinator as a preview, not announced yet
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Meetup(SQLModel, table=True):
    """An in-person (or online) meeting of the alumni, announced by a coordinator."""

    __tablename__ = "meetup"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=Text)
    place: str = Field(sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    starts_at: dt.datetime = Field(
        sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}, index=True
    )
    ends_at: dt.datetime | None = timestamp_field()
    capacity: int | None = None  # None: no limit
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="SET NULL")
    status: str = Field(default=MeetupStatus.SCHEDULED, max_length=16, index=True)
    # Rises with each change: calendar apps replace the entry with the same UID and a higher one.
    sequence: int = 0
    # Rises with each RSVP: a copy showing an older version is edited (paced) to the new counts.
    counts_version: int = 0
    created_by: int = telegram_id_field()
    # The command that asked for it ("<chat>:<message>"): a redelivered command makes no second.
    request_key: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
    cancelled_at: dt.datetime | None = timestamp_field()


class MeetupCopy(SQLModel, table=True):
    """One announcement message of a meetup: in the alumni group or in one member's chat."""

    __tablename__ = "meetup_copy"
    __table_args__ = (UniqueConstraint("meetup_id", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", ondelete="CASCADE", index=True)
    chat_id: int = telegram_id_field()
    member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="CASCADE", index=True
    )
    message_id: int | None = telegram_id_field(nullable=True)
    shown_version: int = 0  # the counts version the message shows (or is queued to show)
    refreshes: int = 0  # how many edits were queued: numbers the edits' purpose keys
    created_at: dt.datetime = created_field()


class RsvpStatus(StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    WAITING = "waiting"  # said yes when the meetup was full


class MeetupRsvp(SQLModel, table=True):
    """A member's answer to a meetup; the latest one counts."""

    __tablename__ = "meetup_rsvp"
    __table_args__ = (UniqueConstraint("meetup_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    status: str = Field(max_length=16)
    # Members see who comes only of those who chose so; coordinators always see it.
    name_visible: bool = False
    answered_at: dt.datetime = created_field()
    waiting_since: dt.datetime | None = timestamp_field()  # the waiting list's order


class MeetupStage(SQLModel, table=True):
    """A timed step of a meetup (a reminder, the pre-read, the follow-up): done or skipped,
    recorded in the transaction that queues its messages, so it runs exactly once."""

    __tablename__ = "meetup_stage"
    __table_args__ = (UniqueConstraint("meetup_id", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", ondelete="CASCADE", index=True)
    stage: str = Field(max_length=32)
    due_at: dt.datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    done_at: dt.datetime = created_field()
    skipped: bool = False


class MeetupFeedback(SQLModel, table=True):
    """A member's answer to "Was nimmst du mit?" after a meetup; shown in the next digest."""

    __tablename__ = "meetup_feedback"
    __table_args__ = (UniqueConstraint("meetup_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    text: str = Field(sa_type=Text)
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = created_field()
