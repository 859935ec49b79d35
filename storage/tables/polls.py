"""Polls (migration 0006): a poll, its native copies in Telegram, the votes, guided drafts"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables.fields import created_field, telegram_id_field, timestamp_field


class PollAudience(StrEnum):
    GROUP = "group"  # one native poll in the alumni group
    ALL = "all"  # a native poll in each active member's private chat
    COHORT = "cohort"  # the same, for the active members of one cohort


class Poll(SQLModel, table=True):
    """One poll as coordinators see it; Telegram holds one or many native copies of it."""

    __tablename__ = "poll"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_type=Text)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    allows_multiple: bool = False
    anonymous: bool = False
    hide_results: bool = False  # until it closes
    audience: str = Field(default=PollAudience.GROUP, max_length=16)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="SET NULL")
    created_by: int = telegram_id_field()
    # The command that asked for it ("<chat>:<message>"): a redelivered command makes no second.
    request_key: str = Field(max_length=64, unique=True)
    # Where the result is posted: the alumni group for a group poll, else the asking chat.
    result_chat_id: int = telegram_id_field()
    created_at: dt.datetime = created_field()
    closes_at: dt.datetime | None = timestamp_field(index=True)
    remind_at: dt.datetime | None = timestamp_field()
    reminded_at: dt.datetime | None = timestamp_field()
    closed_at: dt.datetime | None = timestamp_field(index=True)
    closed_by: int | None = telegram_id_field(nullable=True)  # None: at its close time
    # Set in the transaction that queues the result: a crash after closing still posts it.
    result_queued_at: dt.datetime | None = timestamp_field()


class PollCopy(SQLModel, table=True):
    """One native Telegram poll of a poll: in the group, or in one member's private chat."""

    __tablename__ = "poll_copy"
    __table_args__ = (UniqueConstraint("poll_id", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", index=True)
    chat_id: int = telegram_id_field()
    member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="CASCADE", index=True
    )
    telegram_poll_id: str | None = Field(default=None, max_length=64, unique=True)
    message_id: int | None = telegram_id_field(nullable=True)
    # Telegram's own totals (from `poll` updates): the only counts an anonymous poll has.
    option_counts: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    voter_count: int = 0
    created_at: dt.datetime = created_field()


class PollVote(SQLModel, table=True):
    """One voter's current choice in a poll (a changed vote replaces it, a retraction deletes
    it). `voter` is "member:<id>" for members; a group member who never consented is counted
    under a per-poll pseudonym ("guest:<hmac>"), never by their Telegram id."""

    __tablename__ = "poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "voter"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", index=True)
    copy_id: int = Field(foreign_key="poll_copy.id", ondelete="CASCADE")
    voter: str = Field(max_length=80)
    member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="CASCADE", index=True
    )
    option_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    voted_at: dt.datetime = created_field()


class PollDraft(SQLModel, table=True):
    """Where a coordinator's guided `/poll` stands (one per person): a restart resumes it."""

    __tablename__ = "poll_draft"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = telegram_id_field(unique=True)
    chat_id: int = telegram_id_field()
    step: str = Field(max_length=16)  # question | options | settings | preview
    question: str | None = Field(default=None, sa_type=Text)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The settings as the one-line syntax writes them (e.g. {"mehrfach": true, "bis": "3d"}).
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
