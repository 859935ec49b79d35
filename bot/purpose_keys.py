"""Outbox purpose keys: the one place they are built and read.

A purpose key says why a row is in the outbox, and the outbox refuses a second row with the
same key, so a restart never sends anything twice. The keys are stored for good: these formats
must keep reading every key a row already carries.

    checkin:round:<round id>:member:<member id>:prompt          greeting with the first question
    checkin:round:<round id>:remind:<stage>:member:<member id>  one reminder stage
    digest:round:<round number>:<series>:part:<part>            one part of a digest delivery
    coordinator:<telegram id>:<add|remove>:<moment>             "you are (no longer) a coordinator"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What `Outbox.still_wanted` is keyed by, and what every digest part's key starts with.
CHECKIN_PREFIX = "checkin:"
DIGEST_PREFIX = "digest:round:"

_PROMPT = re.compile(r"checkin:round:([0-9]+):member:([0-9]+):prompt")
_REMINDER = re.compile(r"checkin:round:([0-9]+):remind:([^:]+):member:([0-9]+)")
# The series is greedy: a key is cut at its last ":part:", as it always was.
_DIGEST_PART = re.compile(r"digest:round:([0-9]+):(.+):part:([0-9]+)")


@dataclass(frozen=True)
class PromptKey:
    """A member's greeting with the first question of a round (queued when it opens)."""

    round_id: int
    member_id: int

    def encode(self) -> str:
        return f"checkin:round:{self.round_id}:member:{self.member_id}:prompt"

    @classmethod
    def decode(cls, key: str) -> PromptKey | None:
        match = _PROMPT.fullmatch(key)
        return cls(int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True)
class ReminderKey:
    """One reminder stage for one member: a configured stage number, or `manual-<message>`."""

    round_id: int
    stage: str
    member_id: int

    def __post_init__(self) -> None:
        if not self.stage or ":" in self.stage:
            raise ValueError(f"reminder stage {self.stage!r}: not empty, no ':'")

    @staticmethod
    def manual_stage(command_message_id: int) -> str:
        """The stage of a coordinator's `/round remind`, one per command message."""
        return f"manual-{command_message_id}"

    @staticmethod
    def stage_prefix(round_id: int, stage: str) -> str:
        """What every key of one stage starts with (has the stage run already?)."""
        return f"checkin:round:{round_id}:remind:{stage}:"

    def encode(self) -> str:
        return f"{self.stage_prefix(self.round_id, self.stage)}member:{self.member_id}"

    @classmethod
    def decode(cls, key: str) -> ReminderKey | None:
        match = _REMINDER.fullmatch(key)
        return cls(int(match[1]), match[2], int(match[3])) if match else None


@dataclass(frozen=True)
class DigestSeries:
    """One delivery of a round's digest to one chat; its parts are numbered from 1."""

    round_number: int
    target: str  # which delivery: see the constructors below

    @classmethod
    def group(cls, round_number: int) -> DigestSeries:
        """The scheduled digest in the alumni group."""
        return cls(round_number, "group")

    @classmethod
    def coordinator(cls, round_number: int, telegram_id: int) -> DigestSeries:
        """The scheduled digest in one coordinator's private chat."""
        return cls(round_number, f"coordinator:{telegram_id}")

    @classmethod
    def request(cls, round_number: int, *, chat_id: int, message_id: int) -> DigestSeries:
        """A coordinator's `/digest gruppe`, keyed by their command message: a redelivered
        update posts at most once, a deliberate second request posts again."""
        return cls(round_number, f"request:{chat_id}:{message_id}:group")

    @classmethod
    def reissue(cls, round_number: int, *, stamp: str, index: int, chat_id: int) -> DigestSeries:
        """A digest rendered again after a member erased their data."""
        return cls(round_number, f"reissue:{stamp}:{index}:chat:{chat_id}")

    def encode(self) -> str:
        return f"{DIGEST_PREFIX}{self.round_number}:{self.target}"

    def parts_prefix(self) -> str:
        """What the keys of all parts of this delivery start with."""
        return f"{self.encode()}:part:"

    def part(self, number: int) -> DigestPartKey:
        return DigestPartKey(self, number)


@dataclass(frozen=True)
class DigestPartKey:
    series: DigestSeries
    number: int

    def encode(self) -> str:
        return f"{self.series.parts_prefix()}{self.number}"

    @classmethod
    def decode(cls, key: str) -> DigestPartKey | None:
        match = _DIGEST_PART.fullmatch(key)
        if match is None:
            return None
        return cls(DigestSeries(int(match[1]), match[2]), int(match[3]))


@dataclass(frozen=True)
class RoleNoticeKey:
    """Telling someone they were made (or are no longer) a coordinator; one per change."""

    telegram_id: int
    added: bool
    moment: str  # ISO time of the change: the same person may be added again later

    def encode(self) -> str:
        return f"coordinator:{self.telegram_id}:{'add' if self.added else 'remove'}:{self.moment}"


_RESUME = re.compile(r"checkin:round:([0-9]+):member:([0-9]+):resume:([0-9]+)")


@dataclass(frozen=True)
class ResumeKey:
    """The current question again, after a restart cut into a member's check-in; one per last
    activity (`since`: epoch seconds of the member's latest answer), so a second restart right
    after does not ask twice."""

    round_id: int
    member_id: int
    since: int

    def encode(self) -> str:
        return f"checkin:round:{self.round_id}:member:{self.member_id}:resume:{self.since}"

    @classmethod
    def decode(cls, key: str) -> ResumeKey | None:
        match = _RESUME.fullmatch(key)
        return cls(int(match[1]), int(match[2]), int(match[3])) if match else None


# ------------------------------------------------------------------------------------ polls
#
#     poll:<poll id>:copy:<chat id>              the native poll in one chat
#     poll:<poll id>:stop:<copy id>              stopping that native poll at the close
#     poll:<poll id>:result:<text|chart>         the result where the poll was asked
#     poll:<poll id>:remind:member:<member id>   the one reminder to a member who has not voted

POLL_PREFIX = "poll:"
_POLL_KEY = re.compile(r"poll:([0-9]+):(copy|stop|result|remind):(.+)")


@dataclass(frozen=True)
class PollKey:
    """Any message of one poll; `kind` and `detail` say which (see the formats above)."""

    poll_id: int
    kind: str
    detail: str

    @classmethod
    def copy(cls, poll_id: int, chat_id: int) -> PollKey:
        return cls(poll_id, "copy", str(chat_id))

    @classmethod
    def stop(cls, poll_id: int, copy_id: int) -> PollKey:
        return cls(poll_id, "stop", str(copy_id))

    @classmethod
    def result(cls, poll_id: int, part: str) -> PollKey:
        return cls(poll_id, "result", part)

    @classmethod
    def reminder(cls, poll_id: int, member_id: int) -> PollKey:
        return cls(poll_id, "remind", f"member:{member_id}")

    @property
    def member_id(self) -> int | None:
        """The member a reminder is for."""
        if self.kind != "remind" or not self.detail.startswith("member:"):
            return None
        return int(self.detail.removeprefix("member:"))

    @property
    def chat_id(self) -> int | None:
        """The chat a copy goes to."""
        return int(self.detail) if self.kind == "copy" else None

    def encode(self) -> str:
        return f"{POLL_PREFIX}{self.poll_id}:{self.kind}:{self.detail}"

    @classmethod
    def decode(cls, key: str) -> PollKey | None:
        match = _POLL_KEY.fullmatch(key)
        return cls(int(match[1]), match[2], match[3]) if match else None


# ------------------------------------------------------------------------------------ meetups
#
#     meetup:<meetup id>:copy:<chat id>                  the announcement in one chat
#     meetup:<meetup id>:ics:<chat id>:<sequence>        the calendar file of one version
#     meetup:<meetup id>:edit:<copy id>:<n>              the n-th edit of one announcement
#     meetup:<meetup id>:notice:<chat id>:<what>         changed-<seq>, cancelled, up-<n>
#     meetup:<meetup id>:stage:<stage>:<chat id>         a reminder, the pre-read, the follow-up

MEETUP_PREFIX = "meetup:"
_MEETUP_KEY = re.compile(r"meetup:([0-9]+):(copy|ics|edit|notice|stage):(.+)")


@dataclass(frozen=True)
class MeetupKey:
    """Any message of one meetup; `kind` and `detail` say which (see the formats above)."""

    meetup_id: int
    kind: str
    detail: str

    @classmethod
    def copy(cls, meetup_id: int, chat_id: int) -> MeetupKey:
        return cls(meetup_id, "copy", str(chat_id))

    @classmethod
    def calendar(cls, meetup_id: int, chat_id: int, sequence: int) -> MeetupKey:
        return cls(meetup_id, "ics", f"{chat_id}:{sequence}")

    @classmethod
    def edit(cls, meetup_id: int, copy_id: int, number: int) -> MeetupKey:
        return cls(meetup_id, "edit", f"{copy_id}:{number}")

    @classmethod
    def notice(cls, meetup_id: int, chat_id: int, what: str) -> MeetupKey:
        if not what or ":" in what:
            raise ValueError(f"notice {what!r}: not empty, no ':'")
        return cls(meetup_id, "notice", f"{chat_id}:{what}")

    @classmethod
    def stage(cls, meetup_id: int, stage: str, chat_id: int) -> MeetupKey:
        if not stage or ":" in stage:
            raise ValueError(f"stage {stage!r}: not empty, no ':'")
        return cls(meetup_id, "stage", f"{stage}:{chat_id}")

    @property
    def stage_name(self) -> str | None:
        return self.detail.split(":", 1)[0] if self.kind == "stage" else None

    @property
    def copy_id(self) -> int | None:
        """The announcement an edit is for."""
        return int(self.detail.split(":", 1)[0]) if self.kind == "edit" else None

    def encode(self) -> str:
        return f"{MEETUP_PREFIX}{self.meetup_id}:{self.kind}:{self.detail}"

    @classmethod
    def decode(cls, key: str) -> MeetupKey | None:
        match = _MEETUP_KEY.fullmatch(key)
        return cls(int(match[1]), match[2], match[3]) if match else None


# ------------------------------------------------------------------------------- broadcasts
#
#     broadcast:<broadcast id>:member:<member id>   the broadcast in one recipient's chat
#     broadcast:<broadcast id>:report               the delivery report to its coordinator

BROADCAST_PREFIX = "broadcast:"
_BROADCAST_KEY = re.compile(r"broadcast:([0-9]+):(?:member:([0-9]+)|(report))")


@dataclass(frozen=True)
class BroadcastKey:
    """One message of a broadcast: a recipient's copy (`member_id`), or the report (None)."""

    broadcast_id: int
    member_id: int | None = None

    @classmethod
    def report(cls, broadcast_id: int) -> BroadcastKey:
        return cls(broadcast_id, None)

    @staticmethod
    def recipients_prefix(broadcast_id: int) -> str:
        """What the keys of all recipients' copies of one broadcast start with."""
        return f"{BROADCAST_PREFIX}{broadcast_id}:member:"

    def encode(self) -> str:
        if self.member_id is None:
            return f"{BROADCAST_PREFIX}{self.broadcast_id}:report"
        return f"{self.recipients_prefix(self.broadcast_id)}{self.member_id}"

    @classmethod
    def decode(cls, key: str) -> BroadcastKey | None:
        match = _BROADCAST_KEY.fullmatch(key)
        if match is None:
            return None
        member = int(match[2]) if match[2] is not None else None
        return cls(int(match[1]), member)
