"""Queries for questions, rounds, participation and answers. The caller commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlmodel import col, func, not_, or_, select, true, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.active_members import active_member_clause
from storage.outbox import key_starts_with
from storage.tables import (
    Answer,
    Cohort,
    Member,
    OutboxMessage,
    Participation,
    Question,
    Round,
    RoundQuestion,
    RoundStatus,
    ScheduleState,
)

# ---------------------------------------------------------------------------------- questions


async def active_questions(session: AsyncSession) -> Sequence[Question]:
    result = await session.exec(
        select(Question)
        .where(col(Question.active).is_(True))
        .order_by(col(Question.position), col(Question.id))
    )
    return result.all()


async def count_questions(session: AsyncSession) -> int:
    """All questions ever stored, removed ones included (0 means: never seeded)."""
    result = await session.exec(select(func.count(col(Question.id))))
    return int(result.one())


async def add_question(
    session: AsyncSession, *, text_de: str, text_en: str | None, position: int | None = None
) -> Question:
    if position is None:
        result = await session.exec(
            select(func.max(Question.position)).where(col(Question.active).is_(True))
        )
        position = (result.one() or 0) + 1
    question = Question(position=position, text_de=text_de, text_en=text_en)
    session.add(question)
    await session.flush()
    return question


async def save_positions(session: AsyncSession, *, questions: Sequence[Question]) -> None:
    """Number the given questions 1..n in the given order."""
    for position, question in enumerate(questions, 1):
        question.position = position
        session.add(question)
    await session.flush()


# ---------------------------------------------------------------------------------- schedule


async def schedule_started_at(session: AsyncSession, *, now: dt.datetime) -> dt.datetime:
    """When this database started following the schedule; recorded on first call."""
    result = await session.exec(select(ScheduleState).order_by(col(ScheduleState.id)))
    state = result.first()
    if state is None:
        state = ScheduleState(started_at=now)
        session.add(state)
        await session.flush()
    return state.started_at


# ---------------------------------------------------------------------------------- rounds


async def get_round(session: AsyncSession, *, round_id: int) -> Round | None:
    return await session.get(Round, round_id)


async def current_round(session: AsyncSession) -> Round | None:
    """The open round (at most one is open at a time)."""
    result = await session.exec(
        select(Round).where(Round.status == RoundStatus.OPEN).order_by(col(Round.id).desc())
    )
    return result.first()


async def latest_round(session: AsyncSession) -> Round | None:
    result = await session.exec(select(Round).order_by(col(Round.number).desc()))
    return result.first()


async def round_for_slot(session: AsyncSession, *, scheduled_for: dt.datetime) -> Round | None:
    result = await session.exec(select(Round).where(Round.scheduled_for == scheduled_for))
    return result.first()


async def create_round(
    session: AsyncSession,
    *,
    scheduled_for: dt.datetime | None,
    opened_at: dt.datetime,
    closes_at: dt.datetime,
    opened_by: int | None,
    questions: Sequence[Question],
) -> tuple[Round, list[RoundQuestion]]:
    """A new open round with its own copy of the question set."""
    result = await session.exec(select(func.max(Round.number)))
    number = (result.one() or 0) + 1
    round_ = Round(
        number=number,
        scheduled_for=scheduled_for,
        opened_at=opened_at,
        closes_at=closes_at,
        opened_by=opened_by,
    )
    session.add(round_)
    await session.flush()
    assert round_.id is not None
    copies = [
        RoundQuestion(
            round_id=round_.id,
            question_id=question.id,
            position=position,
            text_de=question.text_de,
            text_en=question.text_en,
        )
        for position, question in enumerate(questions, 1)
    ]
    session.add_all(copies)
    await session.flush()
    return round_, copies


async def round_questions(session: AsyncSession, *, round_id: int) -> Sequence[RoundQuestion]:
    result = await session.exec(
        select(RoundQuestion)
        .where(RoundQuestion.round_id == round_id)
        .order_by(col(RoundQuestion.position))
    )
    return result.all()


async def mark_closed(
    session: AsyncSession, *, round_: Round, now: dt.datetime, awaiting: str
) -> None:
    """Close the round. Members asked but not finished who are in no dialogue get `awaiting`
    (the round's check-in state), so a late message is answered with "this round is closed"."""
    round_.status = RoundStatus.CLOSED
    round_.closed_at = now
    session.add(round_)
    unfinished = select(Participation.member_id).where(
        Participation.round_id == round_.id, col(Participation.finished_at).is_(None)
    )
    await session.exec(
        update(Member)
        .where(col(Member.id).in_(unfinished), col(Member.awaiting).is_(None))
        .values(awaiting=awaiting)
    )
    await session.flush()


# ---------------------------------------------------------------------------------- members


def _not_awaiting(pattern: str | None) -> ColumnElement[bool]:
    """Not in a dialogue whose `Member.awaiting` matches the LIKE pattern (None: no filter)."""
    if pattern is None:
        return true()
    return or_(col(Member.awaiting).is_(None), not_(col(Member.awaiting).like(pattern)))


async def active_members(
    session: AsyncSession, *, now: dt.datetime, not_awaiting: str | None = None
) -> Sequence[Member]:
    """Consented, reachable and not paused: the members a round asks (minus those whose
    dialogue matches `not_awaiting`)."""
    result = await session.exec(
        select(Member)
        .where(active_member_clause(now), _not_awaiting(not_awaiting))
        .order_by(col(Member.id))
    )
    return result.all()


async def unfinished_active_members(
    session: AsyncSession, *, round_id: int, now: dt.datetime, not_awaiting: str | None = None
) -> Sequence[tuple[Member, Participation | None]]:
    """Active members who have not finished the round (asked or not yet), minus those whose
    dialogue matches `not_awaiting`."""
    result = await session.exec(
        select(Member, Participation)
        .outerjoin(
            Participation,
            (col(Participation.member_id) == col(Member.id))
            & (col(Participation.round_id) == round_id),
        )
        .where(
            active_member_clause(now),
            _not_awaiting(not_awaiting),
            col(Participation.finished_at).is_(None),
        )
        .order_by(col(Member.id))
    )
    return result.all()


# ---------------------------------------------------------------------------------- participation


async def get_participation(
    session: AsyncSession, *, round_id: int, member_id: int
) -> Participation | None:
    result = await session.exec(
        select(Participation).where(
            Participation.round_id == round_id, Participation.member_id == member_id
        )
    )
    return result.first()


async def ensure_participation(
    session: AsyncSession, *, round_id: int, member_id: int
) -> Participation:
    existing = await get_participation(session, round_id=round_id, member_id=member_id)
    if existing is not None:
        return existing
    participation = Participation(round_id=round_id, member_id=member_id)
    session.add(participation)
    await session.flush()
    return participation


async def participants(
    session: AsyncSession, *, round_id: int
) -> Sequence[tuple[Participation, Member, Cohort | None]]:
    result = await session.exec(
        select(Participation, Member, Cohort)
        .join(Member, col(Member.id) == col(Participation.member_id))
        .outerjoin(Cohort, col(Cohort.id) == col(Member.cohort_id))
        .where(Participation.round_id == round_id)
        .order_by(col(Cohort.name), col(Member.display_name))
    )
    return result.all()


async def answer_counts(session: AsyncSession, *, round_id: int) -> dict[int, int]:
    """How many questions each member has answered or skipped in the round."""
    result = await session.exec(
        select(Answer.member_id, func.count(col(Answer.id)))
        .where(Answer.round_id == round_id)
        .group_by(col(Answer.member_id))
    )
    return {member_id: count for member_id, count in result.all()}


# ---------------------------------------------------------------------------------- answers


async def progress_rows(
    session: AsyncSession, *, round_id: int, member_id: int
) -> tuple[Participation | None, dict[int, Answer]]:
    """The member's participation and answers in one query (the hot path of a round)."""
    result = await session.exec(
        select(Participation, Answer)
        .outerjoin(
            Answer,
            (col(Answer.round_id) == col(Participation.round_id))
            & (col(Answer.member_id) == col(Participation.member_id)),
        )
        .where(Participation.round_id == round_id, Participation.member_id == member_id)
    )
    participation: Participation | None = None
    answers: dict[int, Answer] = {}
    for found, answer in result.all():
        participation = found
        if answer is not None:
            answers[answer.round_question_id] = answer
    return participation, answers


async def has_answers(session: AsyncSession, *, round_id: int, member_id: int) -> bool:
    """Has the member answered or skipped any question of the round?"""
    result = await session.exec(
        select(Answer.id).where(Answer.round_id == round_id, Answer.member_id == member_id).limit(1)
    )
    return result.first() is not None


async def answers_of(session: AsyncSession, *, round_id: int, member_id: int) -> dict[int, Answer]:
    """The member's answers in the round by round question id."""
    result = await session.exec(
        select(Answer).where(Answer.round_id == round_id, Answer.member_id == member_id)
    )
    return {answer.round_question_id: answer for answer in result.all()}


async def save_answer(
    session: AsyncSession,
    *,
    existing: Answer | None,
    round_id: int,
    round_question_id: int,
    member_id: int,
    text: str | None,
    themes: list[str],
    hashtags: list[str],
    now: dt.datetime,
) -> Answer:
    answer = existing or Answer(
        round_id=round_id, round_question_id=round_question_id, member_id=member_id
    )
    answer.text, answer.themes, answer.hashtags, answer.updated_at = text, themes, hashtags, now
    session.add(answer)  # flushed with the commit: one round trip less on the hot path
    return answer


# ---------------------------------------------------------------------------------- outbox


async def queued_with_prefix(session: AsyncSession, *, prefix: str) -> bool:
    """Was any message queued under a purpose key starting with `prefix` (e.g. a stage)?"""
    result = await session.exec(select(OutboxMessage.id).where(key_starts_with(prefix)).limit(1))
    return result.first() is not None


async def recently_answering(
    session: AsyncSession, *, round_id: int, since: dt.datetime
) -> Sequence[tuple[Member, dt.datetime]]:
    """Members with an unfinished participation whose latest answer came after `since`, with
    the time of that answer."""
    latest = func.max(Answer.updated_at)
    result = await session.exec(
        select(Member, latest)
        .join(Answer, col(Answer.member_id) == col(Member.id))
        .join(
            Participation,
            (col(Participation.member_id) == col(Member.id))
            & (col(Participation.round_id) == round_id),
        )
        .where(col(Answer.round_id) == round_id, col(Participation.finished_at).is_(None))
        .group_by(col(Member.id))
        .having(latest > since)
    )
    return [(member, at) for member, at in result.all()]
