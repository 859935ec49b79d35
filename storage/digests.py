"""Queries for digests: everything about one round in a handful of queries, never one per answer.

The rows are plain frozen dataclasses so the digest can be built and rendered without a
database (unit tests, the benchmark).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import (
    Answer,
    Cohort,
    Digest,
    Meetup,
    MeetupFeedback,
    Member,
    Participation,
    Round,
    RoundQuestion,
    RoundStatus,
)


@dataclass(frozen=True, slots=True)
class QuestionRow:
    id: int
    position: int
    text_de: str
    text_en: str | None


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One non-skipped answer with what the digest shows about its author."""

    question_id: int
    member_id: int
    name: str
    region: str | None
    cohort_id: int | None
    text: str
    themes: Sequence[str]
    hashtags: Sequence[str]
    visibility: str | None  # the member's choice for this round; None: the configured default


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    member_id: int
    cohort_id: int | None


@dataclass(frozen=True, slots=True)
class MeetupNoteRow:
    """An answer to a meetup's "Was nimmst du mit?", shown in the next round's digest."""

    meetup_title: str
    member_id: int
    name: str
    region: str | None
    cohort_id: int | None
    text: str
    themes: Sequence[str]


@dataclass(frozen=True, slots=True)
class RoundRows:
    number: int
    status: str
    opened_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    questions: list[QuestionRow]
    answers: list[AnswerRow]
    participants: list[ParticipantRow]
    meetup_notes: list[MeetupNoteRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Recipient:
    telegram_id: int
    language: str | None


# -------------------------------------------------------------------------------- rounds


# The newest round: `storage.rounds.latest_round` (the rounds feature owns it).


async def round_by_number(session: AsyncSession, *, number: int) -> Round | None:
    result = await session.exec(select(Round).where(Round.number == number))
    return result.first()


async def previous_round(session: AsyncSession, *, number: int) -> Round | None:
    result = await session.exec(
        select(Round).where(Round.number < number).order_by(col(Round.number).desc()).limit(1)
    )
    return result.first()


async def round_numbers(session: AsyncSession) -> list[int]:
    result = await session.exec(select(Round.number).order_by(col(Round.number)))
    return list(result.all())


async def cohort_names(session: AsyncSession) -> dict[int, str]:
    result = await session.exec(select(Cohort.id, Cohort.name).order_by(col(Cohort.name)))
    return {cohort_id: name for cohort_id, name in result.all() if cohort_id is not None}


# -------------------------------------------------------------------------------- contents


async def load_round(session: AsyncSession, *, round: Round) -> RoundRows:
    """Questions, answers (with their authors) and participants of `round`: three queries.

    Erased members are gone from `member`, and their answers and participations with them
    (ON DELETE CASCADE), so they cannot appear.
    """
    assert round.id is not None
    return RoundRows(
        number=round.number,
        status=round.status,
        opened_at=round.opened_at,
        closes_at=round.closes_at,
        closed_at=round.closed_at,
        questions=await _questions(session, round_id=round.id),
        answers=await _answers(session, round_id=round.id),
        participants=await _participants(session, round_id=round.id),
        meetup_notes=await _meetup_notes(session, round=round),
    )


async def _questions(session: AsyncSession, *, round_id: int) -> list[QuestionRow]:
    result = await session.exec(
        select(
            RoundQuestion.id, RoundQuestion.position, RoundQuestion.text_de, RoundQuestion.text_en
        )
        .where(RoundQuestion.round_id == round_id)
        .order_by(col(RoundQuestion.position))
    )
    return [QuestionRow(int(qid or 0), pos, de, en) for qid, pos, de, en in result.all()]


async def _answers(session: AsyncSession, *, round_id: int) -> list[AnswerRow]:
    # SQLAlchemy's select (sqlmodel's typed overloads stop at four columns); plain rows keep
    # 50,000 answers cheap to load, no ORM objects.
    statement: Any = (
        sa_select(
            col(Answer.round_question_id),
            col(Answer.member_id),
            col(Answer.text),
            col(Answer.themes),
            col(Answer.hashtags),
            col(Member.display_name),
            # The network/region the member named; their organisation when they gave none.
            func.coalesce(col(Member.region), col(Member.organisation)),
            col(Member.cohort_id),
            col(Participation.visibility),
        )
        .join(Member, col(Member.id) == col(Answer.member_id))
        .outerjoin(
            Participation,
            and_(
                col(Participation.round_id) == col(Answer.round_id),
                col(Participation.member_id) == col(Answer.member_id),
            ),
        )
        .where(col(Answer.round_id) == round_id, col(Answer.text).is_not(None))
        .order_by(col(Answer.id))
    )
    result = await session.exec(statement)
    return [
        AnswerRow(
            question_id=question_id,
            member_id=member_id,
            name=name or "",
            region=region,
            cohort_id=cohort_id,
            text=text or "",
            themes=themes or (),
            hashtags=hashtags or (),
            visibility=visibility,
        )
        for (
            question_id,
            member_id,
            text,
            themes,
            hashtags,
            name,
            region,
            cohort_id,
            visibility,
        ) in result.all()
    ]


async def _participants(session: AsyncSession, *, round_id: int) -> list[ParticipantRow]:
    result = await session.exec(
        select(Participation.member_id, Member.cohort_id)
        .join(Member, col(Member.id) == col(Participation.member_id))
        .where(Participation.round_id == round_id)
    )
    return [ParticipantRow(member_id, cohort_id) for member_id, cohort_id in result.all()]


# -------------------------------------------------------------------------------- delivery


async def coordinators(session: AsyncSession, *, bootstrap_ids: Sequence[int]) -> list[Recipient]:
    """Everyone with the role (stored or from COORDINATOR_IDS) who can be reached."""
    result = await session.exec(
        select(Member.telegram_id, Member.language, Member.reachable).where(
            col(Member.is_coordinator) | col(Member.telegram_id).in_(list(bootstrap_ids))
        )
    )
    known: dict[int, Recipient | None] = {}
    for telegram_id, language, reachable in result.all():
        known[telegram_id] = Recipient(telegram_id, language) if reachable else None
    for telegram_id in bootstrap_ids:
        known.setdefault(telegram_id, Recipient(telegram_id, None))
    return [recipient for recipient in known.values() if recipient is not None]


async def claim_scheduled(session: AsyncSession, *, round_id: int) -> bool:
    """Record that the scheduled digest of a round is being enqueued; False if it was before."""
    existing = await session.exec(
        select(Digest.id).where(Digest.round_id == round_id, Digest.kind == "scheduled")
    )
    if existing.first() is not None:
        return False
    session.add(Digest(round_id=round_id, kind="scheduled"))
    await session.flush()
    return True


async def latest_closed_round(session: AsyncSession) -> Round | None:
    result = await session.exec(
        select(Round)
        .where(col(Round.status) == RoundStatus.CLOSED)
        .order_by(col(Round.number).desc())
    )
    return result.first()


async def _meetup_notes(session: AsyncSession, *, round: Round) -> list[MeetupNoteRow]:
    """Follow-up answers given since the previous round closed, up to this round's close."""
    before = await previous_round(session, number=round.number)
    statement: Any = (
        sa_select(
            col(Meetup.title),
            col(MeetupFeedback.member_id),
            col(Member.display_name),
            func.coalesce(col(Member.region), col(Member.organisation)),
            col(Member.cohort_id),
            col(MeetupFeedback.text),
            col(MeetupFeedback.themes),
        )
        .join(Meetup, col(Meetup.id) == col(MeetupFeedback.meetup_id))
        .join(Member, col(Member.id) == col(MeetupFeedback.member_id))
        .order_by(col(Meetup.starts_at), col(MeetupFeedback.id))
    )
    if before is not None and before.closed_at is not None:
        statement = statement.where(col(MeetupFeedback.created_at) > before.closed_at)
    if round.closed_at is not None:
        statement = statement.where(col(MeetupFeedback.created_at) <= round.closed_at)
    result = await session.exec(statement)
    return [
        MeetupNoteRow(title, member_id, name or "", region, cohort_id, text, themes or ())
        for title, member_id, name, region, cohort_id, text, themes in result.all()
    ]
