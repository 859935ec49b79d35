"""What we tell people before consent, and the export of everything stored about a member."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from babel.dates import format_timedelta
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import digest
from bot.services import Services
from storage import members as member_store
from storage.tables import Answer, Cohort, Member, Participation, Round, RoundQuestion


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
    }


def export_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


async def erase(session: AsyncSession, *, services: Services, member: Member) -> None:
    """Everything about the member goes, including digests still waiting to quote them.

    The caller commits: the erasure and the re-rendered digests land together or not at all.
    """
    await member_store.delete_member(session, member=member)
    await digest.withdraw_pending_after_erasure(session, services=services)
