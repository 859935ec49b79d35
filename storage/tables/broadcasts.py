"""Broadcasts (migration 0008): a coordinator's message to a segment of the active members. Each
recipient's delivery is the broadcast's outbox row (`broadcast:<id>:member:<id>`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from storage.tables.fields import created_field, telegram_id_field, timestamp_field


class BroadcastStatus(StrEnum):
    DRAFT = "draft"  # previewed, waiting for "Senden"
    CONFIRMED = "confirmed"  # queued for its recipients (now or at `send_at`)
    CANCELLED = "cancelled"


class Broadcast(SQLModel, table=True):
    """One `/broadcast`: its text, segment and time; stored at the preview so a restart before
    "Senden" loses nothing."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=Text)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="SET NULL")
    region: str | None = Field(default=None, max_length=120)
    send_at: dt.datetime | None = timestamp_field()  # None: at once
    status: str = Field(default=BroadcastStatus.DRAFT, max_length=16, index=True)
    created_by: int = telegram_id_field()
    chat_id: int = telegram_id_field()  # the coordinator's chat: preview and report go there
    # The command that asked for it ("<chat>:<message>"): a redelivered command makes no second.
    request_key: str = Field(max_length=64, unique=True)
    recipients: int = 0  # fixed at confirmation
    created_at: dt.datetime = created_field()
    confirmed_at: dt.datetime | None = timestamp_field()
    cancelled_at: dt.datetime | None = timestamp_field()
    report_queued_at: dt.datetime | None = timestamp_field()
