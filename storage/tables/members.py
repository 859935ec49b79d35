"""Members (migration 0002): cohorts, members, invites"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from storage.tables.fields import created_field, telegram_id_field, timestamp_field


class Cohort(SQLModel, table=True):
    __tablename__ = "cohort"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = created_field()


class Member(SQLModel, table=True):
    """An alumna or alumnus. The row exists only after consent (nothing personal before)."""

    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = telegram_id_field(unique=True)
    username: str | None = Field(default=None, max_length=64, index=True)
    language: str = Field(default="de", max_length=8)
    consent_at: dt.datetime | None = timestamp_field()
    display_name: str | None = Field(default=None, max_length=64)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="SET NULL")
    region: str | None = Field(default=None, max_length=120)
    organisation: str | None = Field(default=None, max_length=120)
    job_role: str | None = Field(default=None, max_length=120)
    is_coordinator: bool = False
    paused_until: dt.datetime | None = timestamp_field()  # far future for an open-ended pause
    reachable: bool = True
    unreachable_since: dt.datetime | None = timestamp_field()
    # Where a guided dialogue stands, e.g. "profile:region" or "answer:12:3"; from the database
    # so a restart continues exactly there.
    awaiting: str | None = Field(default=None, max_length=64)
    # Text the member typed that could not be accepted yet (too long): kept so nothing is lost.
    draft: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()


class Invite(SQLModel, table=True):
    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="CASCADE")
    created_by: int = telegram_id_field()
    expires_at: dt.datetime | None = timestamp_field()
    revoked_at: dt.datetime | None = timestamp_field()
    used_count: int = 0
    created_at: dt.datetime = created_field()
