"""Column helpers shared by every table module (one convention for times and Telegram ids)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

# Constraint names come from this convention, so they are the same on SQLite and PostgreSQL
# (and a later migration can name the constraint it alters). Set before any table is defined:
# every table module imports this one first. "ix" is SQLModel's own, kept for existing indexes.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def timestamp_field(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None, sa_type=UTCDateTime, sa_column_kwargs={"nullable": nullable}, index=index
    )


def created_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})


def telegram_id_field(*, unique: bool = False, index: bool = False, nullable: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_type=BigInteger,
        unique=unique,
        index=index,
        sa_column_kwargs={"nullable": nullable},
    )
