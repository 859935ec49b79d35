"""Where one member stands in one round, read from the database.

The position is never kept in memory: it is "the first question of the round without an answer",
so after a restart the member continues exactly there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.round_cache import OpenRound
from storage import rounds as store
from storage.tables import Answer, Member, Participation, Round, RoundQuestion


@dataclass
class Progress:
    round: Round
    questions: list[RoundQuestion]
    answers: dict[int, Answer]
    participation: Participation

    def next_question(self) -> RoundQuestion | None:
        return next((q for q in self.questions if q.id not in self.answers), None)

    def find(self, round_question_id: int) -> RoundQuestion | None:
        return next((q for q in self.questions if q.id == round_question_id), None)


async def read_progress(session: AsyncSession, *, current: OpenRound, member: Member) -> Progress:
    """The member's place in the open round, read only (participation created on save)."""
    round_id = current.round.id
    assert round_id is not None and member.id is not None
    participation, answers = await store.progress_rows(
        session, round_id=round_id, member_id=member.id
    )
    return Progress(
        round=current.round,
        questions=current.questions,
        answers=answers,
        participation=participation or Participation(round_id=round_id, member_id=member.id),
    )


async def load_progress(session: AsyncSession, *, round_: Round, member: Member) -> Progress:
    """The member's place in `round_`, their participation created if need be."""
    assert round_.id is not None and member.id is not None
    return Progress(
        round=round_,
        questions=list(await store.round_questions(session, round_id=round_.id)),
        answers=await store.answers_of(session, round_id=round_.id, member_id=member.id),
        participation=await store.ensure_participation(
            session, round_id=round_.id, member_id=member.id
        ),
    )
