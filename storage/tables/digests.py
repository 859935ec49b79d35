"""Digests (migration 0004)"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables.fields import created_field


class Digest(SQLModel, table=True):
    """A digest that was built and handed to the outbox; the scheduled one exists once a round."""

    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("round_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)  # "scheduled"
    created_at: dt.datetime = created_field()
