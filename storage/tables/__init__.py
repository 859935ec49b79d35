"""Every table of the bot. Grouped by feature; each group has its own Alembic migration.

Conventions: timestamps are aware UTC (`UTCDateTime`, `default_factory=utcnow`); Telegram ids are
BigInteger; enums are stored as short strings so the SQL stays portable.
"""

from __future__ import annotations

from storage.tables.broadcasts import (
    Broadcast,
    BroadcastStatus,
)
from storage.tables.digests import (
    Digest,
)
from storage.tables.foundation import (
    Chat,
    DeliveryStatus,
    OutboxMessage,
)
from storage.tables.intake import (
    BotRun,
    HandledUpdate,
)
from storage.tables.meetups import (
    Meetup,
    MeetupCopy,
    MeetupFeedback,
    MeetupRsvp,
    MeetupStage,
    MeetupStatus,
    RsvpStatus,
)
from storage.tables.members import (
    Cohort,
    Invite,
    Member,
)
from storage.tables.polls import (
    Poll,
    PollAudience,
    PollCopy,
    PollDraft,
    PollVote,
)
from storage.tables.rounds import (
    Answer,
    Participation,
    Question,
    Round,
    RoundQuestion,
    RoundStatus,
    ScheduleState,
    Visibility,
)

__all__ = [
    "Answer",
    "BotRun",
    "Broadcast",
    "BroadcastStatus",
    "Chat",
    "Cohort",
    "DeliveryStatus",
    "Digest",
    "HandledUpdate",
    "Invite",
    "Meetup",
    "MeetupCopy",
    "MeetupFeedback",
    "MeetupRsvp",
    "MeetupStage",
    "MeetupStatus",
    "Member",
    "OutboxMessage",
    "Participation",
    "Poll",
    "PollAudience",
    "PollCopy",
    "PollDraft",
    "PollVote",
    "Question",
    "Round",
    "RoundQuestion",
    "RoundStatus",
    "RsvpStatus",
    "ScheduleState",
    "Visibility",
]
