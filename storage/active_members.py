"""Who counts as an active member (gets check-in prompts and reminders): consented, reachable
and not paused. The one rule, as SQL for queries and as Python for a member already loaded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement
from sqlmodel import and_, col, or_

from storage.tables import Member


def active_member_clause(now: dt.datetime) -> ColumnElement[bool]:
    return and_(
        col(Member.consent_at).is_not(None),
        col(Member.reachable).is_(True),
        or_(col(Member.paused_until).is_(None), col(Member.paused_until) <= now),
    )


def is_active_member(member: Member, now: dt.datetime) -> bool:
    """The Python twin of `active_member_clause`: keep the two saying the same."""
    paused = member.paused_until is not None and member.paused_until > now
    return member.consent_at is not None and member.reachable and not paused
