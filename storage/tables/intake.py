"""Intake (migration 0005): which updates were handled, so a re-delivered one is skipped; and
whether the last run ended cleanly
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from storage.tables.fields import created_field, timestamp_field


class HandledUpdate(SQLModel, table=True):
    """Written in the same transaction as an update's effects (see `storage.db`)."""

    __tablename__ = "handled_update"

    update_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    handled_at: dt.datetime = created_field()


class BotRun(SQLModel, table=True):
    """The current (or last) run of the bot (one row). `stopped_at` stays empty when it died."""

    __tablename__ = "bot_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: dt.datetime = created_field()
    stopped_at: dt.datetime | None = timestamp_field()
