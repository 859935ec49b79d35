"""What we tell people before consent, and the export of everything stored about a member."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from babel.dates import format_timedelta
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.broadcasts import report as broadcasts
from bot.digest import withdrawal as digest
from bot.meetups import rsvp as meetup_rsvp
from bot.members.callbacks import ForgetButton
from bot.services import Services
from bot.ui import Button, Reply
from storage import meetups as meetup_store
from storage import members as member_store
from storage import polls as poll_store
from storage.tables import (
    Answer,
    Cohort,
    Meetup,
    MeetupFeedback,
    MeetupRsvp,
    Member,
    Participation,
    Poll,
    PollVote,
    Round,
    RoundQuestion,
)


def retention_text(retention: dt.timedelta, language: str) -> str:
    """ "2 Jahre" / "2 years": how long answers are kept, as a person would say it."""
    return format_timedelta(retention, locale=language, threshold=1.1)


def _when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _question(question: RoundQuestion, language: str) -> str:
    return question.text_en if language == "en" and question.text_en else question.text_de


def build_export(
    member: Member,
    *,
    cohort: Cohort | None,
    answers: Sequence[tuple[Answer, RoundQuestion, Round]],
    participations: Sequence[tuple[Participation, Round]],
    now: dt.datetime,
    votes: Sequence[tuple[PollVote, Poll]] = (),
    rsvps: Sequence[tuple[MeetupRsvp, Meetup]] = (),
    feedback: Sequence[tuple[MeetupFeedback, Meetup]] = (),
) -> dict[str, Any]:
    """Everything stored about the member, with when it was stored (DSGVO Art. 15 and 20)."""
    return {
        "exported_at": _when(now),
        "profile": {
            "telegram_id": member.telegram_id,
            "username": member.username,
            "display_name": member.display_name,
            "cohort": cohort.name if cohort else None,
            "region": member.region,
            "organisation": member.organisation,
            "job_role": member.job_role,
            "language": member.language,
            "is_coordinator": member.is_coordinator,
            "consent_at": _when(member.consent_at),
            "paused_until": _when(member.paused_until),
            "reachable": member.reachable,
            "unreachable_since": _when(member.unreachable_since),
            "awaiting": member.awaiting,
            "draft": member.draft,
            "created_at": _when(member.created_at),
            "updated_at": _when(member.updated_at),
        },
        "participations": [
            {
                "round": round_.number,
                "visibility": participation.visibility,
                "started_at": _when(participation.started_at),
                "postponed_at": _when(participation.postponed_at),
                "finished_at": _when(participation.finished_at),
            }
            for participation, round_ in participations
        ],
        "answers": [
            {
                "round": round_.number,
                "question_position": question.position,
                "question": _question(question, member.language),
                "answer": answer.text,
                "skipped": answer.text is None,
                "themes": list(answer.themes),
                "hashtags": list(answer.hashtags),
                "created_at": _when(answer.created_at),
                "updated_at": _when(answer.updated_at),
            }
            for answer, question, round_ in answers
        ],
        "poll_votes": [
            {
                "poll": poll.id,
                "question": poll.question,
                "chosen": [
                    poll.options[index]
                    for index in vote.option_ids
                    if 0 <= index < len(poll.options)
                ],
                "voted_at": _when(vote.voted_at),
            }
            for vote, poll in votes
        ],
        "meetup_rsvps": [
            {
                "meetup": meetup.id,
                "title": meetup.title,
                "starts_at": _when(meetup.starts_at),
                "answer": rsvp.status,
                "name_visible_to_all": rsvp.name_visible,
                "answered_at": _when(rsvp.answered_at),
            }
            for rsvp, meetup in rsvps
        ],
        "meetup_feedback": [
            {
                "meetup": meetup.id,
                "title": meetup.title,
                "answer": item.text,
                "themes": list(item.themes),
                "created_at": _when(item.created_at),
            }
            for item, meetup in feedback
        ],
    }


def export_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


async def erase(session: AsyncSession, *, services: Services, member: Member) -> None:
    """Everything about the member goes, including digests still waiting to quote them, and
    their copies of broadcasts (a broadcast waiting only for them reports now).

    The caller commits: the erasure and the re-rendered digests land together or not at all.
    """
    assert member.id is not None
    await meetup_rsvp.withdraw_member(services, session, member_id=member.id)
    await member_store.delete_member(session, member=member)
    await digest.withdraw_pending_after_erasure(session, services=services)
    await broadcasts.queue_finished_reports(services, session)


# ------------------------------------------------------------------------------ use cases


@dataclass(frozen=True)
class Export:
    """The file /export sends: everything stored about the member, as JSON."""

    content: bytes
    filename: str
    caption: str


async def export(services: Services, *, telegram_id: int) -> Export | None:
    """Everything stored about the person; None when nothing is."""
    async with services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is None:
            return None
        assert member.id is not None
        cohort = (
            await member_store.get_cohort(session, cohort_id=member.cohort_id)
            if member.cohort_id is not None
            else None
        )
        answers = await member_store.answers_of(session, member_id=member.id)
        participations = await member_store.participations_of(session, member_id=member.id)
        votes = await poll_store.votes_of_member(session, member_id=member.id)
        rsvps = await meetup_store.rsvps_of_member(session, member_id=member.id)
        feedback = await meetup_store.feedback_of_member(session, member_id=member.id)
    document = build_export(
        member,
        cohort=cohort,
        answers=answers,
        participations=participations,
        now=services.clock.now(),
        votes=votes,
        rsvps=rsvps,
        feedback=feedback,
    )
    return Export(
        content=export_bytes(document),
        filename=f"alumni-daten-{member.telegram_id}.json",
        caption=str(services.translate(member.language, "export.caption")),
    )


async def forget_question(services: Services, *, telegram_id: int) -> Reply | None:
    """/forget asks for confirmation first; None when nothing is stored about the person."""
    async with services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
    if member is None:
        return None
    translate, language = services.translate, member.language
    buttons = [
        Button(str(translate(language, "forget.button.yes")), ForgetButton(True).encode()),
        Button(str(translate(language, "forget.button.no")), ForgetButton(False).encode()),
    ]
    return Reply(str(translate(language, "forget.confirm")), [buttons])


@dataclass(frozen=True)
class Forgotten:
    """After /forget: the language to say goodbye in (read before the row went), and whether
    the person had been given the coordinator role (their menu goes too)."""

    language: str
    was_coordinator: bool


async def forget(
    services: Services, *, telegram_id: int, telegram_language: str | None
) -> Forgotten:
    """Confirmed: the member row and everything hanging on it are deleted."""
    translate = services.translate
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        language = translate.language_for(member.language if member else telegram_language)
        if member is not None:
            await erase(session, services=services, member=member)
        await session.commit()
    services.outbox.wake()  # re-rendered digests, reports of broadcasts waiting on them
    return Forgotten(language, member is not None and member.is_coordinator)
