"""Column helpers shared by every table module (one convention for times and Telegram ids)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field

from storage.types import UTCDateTime, utcnow


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
