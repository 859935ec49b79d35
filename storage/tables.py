"""Every table of the bot. Grouped by feature; each group has its own Alembic migration.

Conventions: timestamps are aware UTC (`UTCDateTime`, `default_factory=utcnow`); Telegram ids are
BigInteger; enums are stored as short strings so the SQL stays portable.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _timestamp(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None, sa_type=UTCDateTime, sa_column_kwargs={"nullable": nullable}, index=index
    )


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})


def _telegram_id(*, unique: bool = False, index: bool = False, nullable: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        sa_type=BigInteger,
        unique=unique,
        index=index,
        sa_column_kwargs={"nullable": nullable},
    )


# --------------------------------------------------------------------------------------------
# Foundation (migration 0001): delivery outbox and the chats the bot is in
# --------------------------------------------------------------------------------------------


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
    chat_id: int = _telegram_id(index=True)
    method: str = Field(max_length=32)  # send_message | send_poll | send_document
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    not_before: dt.datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}
    )
    created_at: dt.datetime = _created_at()
    sent_at: dt.datetime | None = _timestamp()
    message_id: int | None = _telegram_id(nullable=True)
    error: str | None = Field(default=None, sa_type=Text)


class Chat(SQLModel, table=True):
    """A group the bot is in; the alumni group is where digests, polls and meetups go."""

    __tablename__ = "chat"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _telegram_id(unique=True)
    type: str = Field(max_length=16)
    title: str | None = Field(default=None, max_length=255)
    is_alumni_group: bool = False
    migrated_from: int | None = _telegram_id(nullable=True)
    created_at: dt.datetime = _created_at()
    updated_at: dt.datetime = _created_at()


# --------------------------------------------------------------------------------------------
# Members (migration 0002): cohorts, members, invites
# --------------------------------------------------------------------------------------------


class Cohort(SQLModel, table=True):
    __tablename__ = "cohort"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = _created_at()


class Member(SQLModel, table=True):
    """An alumna or alumnus. The row exists only after consent (nothing personal before)."""

    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _telegram_id(unique=True)
    username: str | None = Field(default=None, max_length=64, index=True)
    language: str = Field(default="de", max_length=8)
    consent_at: dt.datetime | None = _timestamp()
    display_name: str | None = Field(default=None, max_length=64)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="SET NULL")
    region: str | None = Field(default=None, max_length=120)
    organisation: str | None = Field(default=None, max_length=120)
    job_role: str | None = Field(default=None, max_length=120)
    is_coordinator: bool = False
    paused_until: dt.datetime | None = _timestamp()  # far future for an open-ended pause
    reachable: bool = True
    unreachable_since: dt.datetime | None = _timestamp()
    # Where a guided dialogue stands, e.g. "profile:region" or "answer:12:3"; from the database
    # so a restart continues exactly there.
    awaiting: str | None = Field(default=None, max_length=64)
    # Text the member typed that could not be accepted yet (too long): kept so nothing is lost.
    draft: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = _created_at()
    updated_at: dt.datetime = _created_at()


class Invite(SQLModel, table=True):
    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="CASCADE")
    created_by: int = _telegram_id()
    expires_at: dt.datetime | None = _timestamp()
    revoked_at: dt.datetime | None = _timestamp()
    used_count: int = 0
    created_at: dt.datetime = _created_at()


# --------------------------------------------------------------------------------------------
# Check-in rounds (migration 0003): questions, rounds, answers
# --------------------------------------------------------------------------------------------


class Question(SQLModel, table=True):
    """The question set for future rounds; a running round keeps its own copy."""

    __tablename__ = "question"

    id: int | None = Field(default=None, primary_key=True)
    position: int
    text_de: str = Field(sa_type=Text)
    text_en: str | None = Field(default=None, sa_type=Text)
    active: bool = True
    created_at: dt.datetime = _created_at()


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Round(SQLModel, table=True):
    __tablename__ = "round"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    status: str = Field(default=RoundStatus.OPEN, max_length=16, index=True)
    # The scheduled opening this round stands for (unique: a schedule slot opens at most once).
    scheduled_for: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, unique=True, sa_column_kwargs={"nullable": True}
    )
    opened_at: dt.datetime = _created_at()
    closes_at: dt.datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    closed_at: dt.datetime | None = _timestamp()
    opened_by: int | None = _telegram_id(nullable=True)  # None: opened by the schedule


class RoundQuestion(SQLModel, table=True):
    """A question as it was asked in one round."""

    __tablename__ = "round_question"
    __table_args__ = (UniqueConstraint("round_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", index=True)
    question_id: int | None = Field(default=None, foreign_key="question.id", ondelete="SET NULL")
    position: int
    text_de: str = Field(sa_type=Text)
    text_en: str | None = Field(default=None, sa_type=Text)


class Visibility(StrEnum):
    ALL = "all"  # every alumna/alumnus sees the answer with name and region
    COORDINATORS = "coordinators"  # only coordinators see it
    ANONYMOUS = "anonymous"  # everyone sees it, without name or region


class Participation(SQLModel, table=True):
    """A member's place in one round: asked, postponed, finished; and their visibility choice."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("round_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    started_at: dt.datetime | None = _timestamp()
    postponed_at: dt.datetime | None = _timestamp()
    finished_at: dt.datetime | None = _timestamp()
    visibility: str | None = Field(default=None, max_length=16)


class Answer(SQLModel, table=True):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("member_id", "round_question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE", index=True)
    round_question_id: int = Field(foreign_key="round_question.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    text: str | None = Field(default=None, sa_type=Text)  # None: skipped
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    hashtags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = _created_at()
    updated_at: dt.datetime = _created_at()


class ScheduleState(SQLModel, table=True):
    """When this database started following the round schedule (one row).

    A scheduled opening missed while the bot was down is opened on start, but only if it lies
    after this moment: a fresh install does not open a round for a slot from before it existed.
    """

    __tablename__ = "schedule_state"

    id: int | None = Field(default=None, primary_key=True)
    started_at: dt.datetime = _created_at()


# --------------------------------------------------------------------------------------------
# Digests (migration 0004)
# --------------------------------------------------------------------------------------------


class Digest(SQLModel, table=True):
    """A digest that was built and handed to the outbox; the scheduled one exists once a round."""

    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("round_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)  # "scheduled"
    created_at: dt.datetime = _created_at()


# --------------------------------------------------------------------------------------------
# Intake (migration 0005): which updates were handled, so a re-delivered one is skipped; and
# whether the last run ended cleanly
# --------------------------------------------------------------------------------------------


class HandledUpdate(SQLModel, table=True):
    """Written in the same transaction as an update's effects (see `storage.db`)."""

    __tablename__ = "handled_update"

    update_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    handled_at: dt.datetime = _created_at()


class BotRun(SQLModel, table=True):
    """The current (or last) run of the bot (one row). `stopped_at` stays empty when it died."""

    __tablename__ = "bot_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: dt.datetime = _created_at()
    stopped_at: dt.datetime | None = _timestamp()


# --------------------------------------------------------------------------------------------
# Polls (migration 0006): a poll, its native copies in Telegram, the votes, guided drafts
# --------------------------------------------------------------------------------------------


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
    created_by: int = _telegram_id()
    # The command that asked for it ("<chat>:<message>"): a redelivered command makes no second.
    request_key: str = Field(max_length=64, unique=True)
    # Where the result is posted: the alumni group for a group poll, else the asking chat.
    result_chat_id: int = _telegram_id()
    created_at: dt.datetime = _created_at()
    closes_at: dt.datetime | None = _timestamp(index=True)
    remind_at: dt.datetime | None = _timestamp()
    reminded_at: dt.datetime | None = _timestamp()
    closed_at: dt.datetime | None = _timestamp(index=True)
    closed_by: int | None = _telegram_id(nullable=True)  # None: at its close time
    # Set in the transaction that queues the result: a crash after closing still posts it.
    result_queued_at: dt.datetime | None = _timestamp()


class PollCopy(SQLModel, table=True):
    """One native Telegram poll of a poll: in the group, or in one member's private chat."""

    __tablename__ = "poll_copy"
    __table_args__ = (UniqueConstraint("poll_id", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", ondelete="CASCADE", index=True)
    chat_id: int = _telegram_id()
    member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="CASCADE", index=True
    )
    telegram_poll_id: str | None = Field(default=None, max_length=64, unique=True)
    message_id: int | None = _telegram_id(nullable=True)
    # Telegram's own totals (from `poll` updates): the only counts an anonymous poll has.
    option_counts: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    voter_count: int = 0
    created_at: dt.datetime = _created_at()


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
    voted_at: dt.datetime = _created_at()


class PollDraft(SQLModel, table=True):
    """Where a coordinator's guided `/poll` stands (one per person): a restart resumes it."""

    __tablename__ = "poll_draft"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _telegram_id(unique=True)
    chat_id: int = _telegram_id()
    step: str = Field(max_length=16)  # question | options | settings | preview
    question: str | None = Field(default=None, sa_type=Text)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The settings as the one-line syntax writes them (e.g. {"mehrfach": true, "bis": "3d"}).
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = _created_at()
    updated_at: dt.datetime = _created_at()


# --------------------------------------------------------------------------------------------
# Meetups (migration 0007): the meeting, its announcement copies, RSVPs, reminder stages and
# the follow-up answers
# --------------------------------------------------------------------------------------------


class MeetupStatus(StrEnum):
    DRAFT = "draft"  # shown to its coordinator as a preview, not announced yet
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Meetup(SQLModel, table=True):
    """An in-person (or online) meeting of the alumni, announced by a coordinator."""

    __tablename__ = "meetup"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=Text)
    place: str = Field(sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    starts_at: dt.datetime = Field(
        sa_type=UTCDateTime, sa_column_kwargs={"nullable": False}, index=True
    )
    ends_at: dt.datetime | None = _timestamp()
    capacity: int | None = None  # None: no limit
    cohort_id: int | None = Field(default=None, foreign_key="cohort.id", ondelete="SET NULL")
    status: str = Field(default=MeetupStatus.SCHEDULED, max_length=16, index=True)
    # Rises with each change: calendar apps replace the entry with the same UID and a higher one.
    sequence: int = 0
    # Rises with each RSVP: a copy showing an older version is edited (paced) to the new counts.
    counts_version: int = 0
    created_by: int = _telegram_id()
    # The command that asked for it ("<chat>:<message>"): a redelivered command makes no second.
    request_key: str = Field(max_length=64, unique=True)
    created_at: dt.datetime = _created_at()
    updated_at: dt.datetime = _created_at()
    cancelled_at: dt.datetime | None = _timestamp()


class MeetupCopy(SQLModel, table=True):
    """One announcement message of a meetup: in the alumni group or in one member's chat."""

    __tablename__ = "meetup_copy"
    __table_args__ = (UniqueConstraint("meetup_id", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", ondelete="CASCADE", index=True)
    chat_id: int = _telegram_id()
    member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="CASCADE", index=True
    )
    message_id: int | None = _telegram_id(nullable=True)
    shown_version: int = 0  # the counts version the message shows (or is queued to show)
    refreshes: int = 0  # how many edits were queued: numbers the edits' purpose keys
    created_at: dt.datetime = _created_at()


class RsvpStatus(StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    WAITING = "waiting"  # said yes when the meetup was full


class MeetupRsvp(SQLModel, table=True):
    """A member's answer to a meetup; the latest one counts."""

    __tablename__ = "meetup_rsvp"
    __table_args__ = (UniqueConstraint("meetup_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    status: str = Field(max_length=16)
    # Members see who comes only of those who chose so; coordinators always see it.
    name_visible: bool = False
    answered_at: dt.datetime = _created_at()
    waiting_since: dt.datetime | None = _timestamp()  # the waiting list's order


class MeetupStage(SQLModel, table=True):
    """A timed step of a meetup (a reminder, the pre-read, the follow-up): done or skipped,
    recorded in the transaction that queues its messages, so it runs exactly once."""

    __tablename__ = "meetup_stage"
    __table_args__ = (UniqueConstraint("meetup_id", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", ondelete="CASCADE", index=True)
    stage: str = Field(max_length=32)
    due_at: dt.datetime = Field(sa_type=UTCDateTime, sa_column_kwargs={"nullable": False})
    done_at: dt.datetime = _created_at()
    skipped: bool = False


class MeetupFeedback(SQLModel, table=True):
    """A member's answer to "Was nimmst du mit?" after a meetup; shown in the next digest."""

    __tablename__ = "meetup_feedback"
    __table_args__ = (UniqueConstraint("meetup_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meetup_id: int = Field(foreign_key="meetup.id", ondelete="CASCADE", index=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE", index=True)
    text: str = Field(sa_type=Text)
    themes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = _created_at()


# --------------------------------------------------------------------------------------------
# Broadcasts (migration 0008): a coordinator's message to a segment of the active members.
# Each recipient's delivery is the broadcast's outbox row (`broadcast:<id>:member:<id>`).
# --------------------------------------------------------------------------------------------


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
    send_at: dt.datetime | None = _timestamp()  # None: at once
    status: str = Field(default=BroadcastStatus.DRAFT, max_length=16, index=True)
    created_by: int = _telegram_id()
    chat_id: int = _telegram_id()  # the coordinator's chat: preview and report go there
    # The command that asked for it ("<chat>:<message>"): a redelivered command makes no second.
    request_key: str = Field(max_length=64, unique=True)
    recipients: int = 0  # fixed at confirmation
    created_at: dt.datetime = _created_at()
    confirmed_at: dt.datetime | None = _timestamp()
    cancelled_at: dt.datetime | None = _timestamp()
    report_queued_at: dt.datetime | None = _timestamp()
