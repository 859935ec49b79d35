"""Foundation (migration 0001): delivery outbox and the chats the bot is in"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from storage.tables.fields import created_field, telegram_id_field, timestamp_field
from storage.types import UTCDateTime, utcnow


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    RESERVED = "reserved"  # claimed for the current delivery cycle; no call made yet
    SENDING = "sending"  # the HTTP call has begun; its outcome is not known yet
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    WITHDRAWN = "withdrawn"  # taken back before sending (e.g. it quoted a member who erased)


class OutboxMessage(SQLModel, table=True):
    """One message the bot sends on its own; `purpose_key` makes enqueuing idempotent."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    purpose_key: str = Field(max_length=200, unique=True)
    chat_id: int = telegram_id_field(index=True)
    method: str = Field(max_length=32)  # send_message | send_poll | send_document
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    not_before: dt.datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    created_at: dt.datetime = created_field()
    sent_at: dt.datetime | None = timestamp_field()
    message_id: int | None = telegram_id_field(nullable=True)
    error: str | None = Field(default=None, sa_type=Text)


class Chat(SQLModel, table=True):
    """A group the bot is in; the alumni group is where digests, polls and meetups go."""

    __tablename__ = "chat"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = telegram_id_field(unique=True)
    type: str = Field(max_length=16)
    title: str | None = Field(default=None, max_length=255)
    is_alumni_group: bool = False
    migrated_from: int | None = telegram_id_field(nullable=True)
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
