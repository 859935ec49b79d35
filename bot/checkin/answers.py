"""Storing one answer (or a skip) and what follows from it for the participation."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkin.progress import Progress
from bot.checkin.state import CheckinState
from bot.services import Services
from bot.themes import hashtags, lexicon_for
from storage import rounds as store
from storage.tables import Answer, Member, RoundQuestion


async def save(
    session: AsyncSession,
    *,
    services: Services,
    member: Member,
    progress: Progress,
    rq: RoundQuestion,
    text: str | None,
) -> Answer:
    """Store (or replace) one answer with its themes and hashtags; None means skipped."""
    assert rq.id is not None and member.id is not None
    lexicon = lexicon_for(services.settings.checkin_themes_file)
    existing = progress.answers.get(rq.id)
    if existing is not None and existing not in session:  # read outside this transaction
        existing = await session.merge(existing, load=False)
    if progress.participation.id is not None and progress.participation not in session:
        progress.participation = await session.merge(progress.participation, load=False)
    answer = await store.save_answer(
        session,
        existing=existing,
        round_id=rq.round_id,
        round_question_id=rq.id,
        member_id=member.id,
        text=text,
        themes=lexicon.tag(text) if text else [],
        hashtags=hashtags(text) if text else [],
        now=services.clock.now(),
    )
    progress.answers[rq.id] = answer
    _finish_if_done(session, services=services, member=member, progress=progress)
    return answer


def _finish_if_done(
    session: AsyncSession, *, services: Services, member: Member, progress: Progress
) -> None:
    """Mark the participation finished once every question has an answer or a skip."""
    participation = progress.participation
    now = services.clock.now()
    participation.started_at = participation.started_at or now
    # The digest needs a visibility for every answer, so the default applies from the first one.
    participation.visibility = (
        participation.visibility or services.settings.checkin_default_visibility
    )
    done = progress.next_question() is None
    if done and participation.finished_at is None:
        participation.finished_at = now
    session.add(participation)
    assert progress.round.id is not None
    member.awaiting = None if done else CheckinState(progress.round.id).encode()
    member.draft = None
    session.add(member)
