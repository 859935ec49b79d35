"""A member's check-in: the next unanswered question, answers, the summary, visibility.

The position is never kept in memory: it is "the first question of the round without an answer"
in the database, so after a restart the member continues exactly there. `Member.awaiting` only
says that free text should go to the check-in ("checkin:<round>") or replace one answer
("checkin:<round>:edit:<round question>"). Every change is committed before the bot replies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_datetime
from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.members import profile_state as profile
from bot.numbers import parse_number
from bot.outbox import message_payload
from bot.round_cache import OpenRound
from bot.schedule import CheckinSchedule
from bot.services import Services
from bot.themes import hashtags, lexicon_for
from bot.ui import Button, Keyboard
from storage import members as member_store
from storage import rounds as store
from storage.tables import Answer, Member, Participation, Round, RoundQuestion, RoundStatus

PREFIX = "checkin"
# `Member.awaiting` while the guided profile after consent runs (bot.profile's positions):
# such members are not prompted when a round opens, but when they finish.
ONBOARDING = f"{profile.PREFIX}:%:{profile.Mode.ONBOARDING.value}"
CALLBACK = "ci"  # callback data: ci:<action>:<id>[:<value>]
VISIBILITIES = ("all", "coordinators", "anonymous")
TRIM_MARK = " …"
TELEGRAM_LIMIT = 4096  # UTF-16 code units per message
# How much of each answer the summary quotes; fewer characters when many long questions and
# answers would otherwise not fit one message (the full answer is shown when changing it).
SUMMARY_EXCERPTS = (300, 200, 120, 60, 30)


# ------------------------------------------------------------------------------ time and dates


def is_open(round_: Round, now: dt.datetime) -> bool:
    """Open in the database and not past its closing time (the close job may run a bit late)."""
    return round_.status == RoundStatus.OPEN and round_.closes_at > now


def format_moment(moment: dt.datetime, language: str, services: Services) -> str:
    """`Montag, 4. Januar 2027, 10:00 Uhr` / `Monday, 4 January 2027, 10:00`."""
    pattern = "EEEE, d. MMMM y, HH:mm 'Uhr'" if language == "de" else "EEEE, d MMMM y, HH:mm"
    return format_datetime(moment, pattern, tzinfo=services.settings.tz, locale=language)


def schedule_of(services: Services) -> CheckinSchedule | None:
    expression = services.settings.checkin_schedule
    return CheckinSchedule.parse(expression) if expression else None


def next_opening(services: Services, now: dt.datetime) -> dt.datetime | None:
    schedule = schedule_of(services)
    return schedule.next_after(now, services.settings.tz) if schedule else None


def next_round_text(services: Services, language: str, now: dt.datetime) -> Markup:
    """'The next one starts on DATE' (or: when the coordinators start it)."""
    upcoming = next_opening(services, now)
    if upcoming is None:
        return services.translate(language, "checkin.next_unscheduled")
    return services.translate(
        language, "checkin.next_on", date=format_moment(upcoming, language, services)
    )


def prompt_key(round_id: int, member_id: int) -> str:
    """The outbox purpose key of a member's greeting with the first question."""
    return f"checkin:round:{round_id}:member:{member_id}:prompt"


# ------------------------------------------------------------------------------ progress


@dataclass
class Progress:
    """Where one member stands in one round, read from the database."""

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
    assert round_.id is not None and member.id is not None
    return Progress(
        round=round_,
        questions=list(await store.round_questions(session, round_id=round_.id)),
        answers=await store.answers_of(session, round_id=round_.id, member_id=member.id),
        participation=await store.ensure_participation(
            session, round_id=round_.id, member_id=member.id
        ),
    )


def parse_awaiting(awaiting: str | None) -> tuple[int | None, int | None]:
    """`checkin:7` → (7, None); `checkin:7:edit:31` → (7, 31); anything else → (None, None)."""
    parts = (awaiting or "").split(":")
    round_id = parse_number(parts[1]) if len(parts) >= 2 and parts[0] == PREFIX else None
    if round_id is None:
        return None, None
    if len(parts) == 4 and parts[2] == "edit":
        return round_id, parse_number(parts[3])
    return round_id, None


def shorten(text: str, limit: int) -> str:
    """Cut an overlong answer at a word boundary, marked with an ellipsis."""
    room = limit - len(TRIM_MARK)
    cut = text[:room]
    if " " in cut[room // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip() + TRIM_MARK


def excerpt(text: str, limit: int) -> str:
    """The text itself if it has at most `limit` characters, else its shortened start."""
    return text if len(text) <= limit else shorten(text, limit)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


# ------------------------------------------------------------------------------ rendering


@dataclass
class Reply:
    """What the bot answers; `edit` asks to replace the pressed message instead."""

    text: Markup
    markup: Keyboard | None = None
    edit: bool = False


def question_text(language: str, rq: RoundQuestion) -> str:
    return (rq.text_en or rq.text_de) if language == "en" else rq.text_de


def _language(services: Services, member: Member) -> str:
    return services.translate.language_for(member.language)


def _ask(services: Services, member: Member, progress_questions: list[RoundQuestion],
         rq: RoundQuestion) -> Markup:  # fmt: skip
    language = _language(services, member)
    return services.translate(
        language,
        "checkin.question",
        number=rq.position,
        total=len(progress_questions),
        question=question_text(language, rq),
    )


def question_markup(services: Services, member: Member, rq: RoundQuestion) -> Keyboard:
    t, language = services.translate, _language(services, member)
    return [
        [
            Button(str(t(language, "checkin.button.skip")), data=f"{CALLBACK}:skip:{rq.id}"),
            Button(
                str(t(language, "checkin.button.later")), data=f"{CALLBACK}:later:{rq.round_id}"
            ),
        ]
    ]


def render_prompt(
    services: Services, member: Member, round_: Round, copies: list[RoundQuestion]
) -> tuple[Markup, Keyboard]:
    """The greeting with the first question, queued for every member when a round opens."""
    language = _language(services, member)
    greeting = services.translate(
        language,
        "checkin.greeting",
        name=member.display_name or "",
        number=round_.number,
        total=len(copies),
        until=format_moment(round_.closes_at, language, services),
    )
    first = copies[0]
    text = Markup("\n\n").join(
        [greeting, visibility_note(services, member), _ask(services, member, copies, first)]
    )
    return text, question_markup(services, member, first)


def visibility_note(services: Services, member: Member) -> Markup:
    """How answers are shown until the member chooses (the default applies from the first)."""
    language = _language(services, member)
    default = services.settings.checkin_default_visibility
    return services.translate(
        language,
        "checkin.visibility_note",
        visibility=services.translate(language, f"checkin.visibility.{default}"),
    )


def render_reminder(
    services: Services, member: Member, round_: Round, *, answered: int, total: int
) -> tuple[Markup, Keyboard]:
    language = _language(services, member)
    text = services.translate(
        language,
        "checkin.reminder",
        name=member.display_name or "",
        number=round_.number,
        answered=answered,
        total=total,
        until=format_moment(round_.closes_at, language, services),
    )
    button = Button(
        str(services.translate(language, "checkin.button.continue")),
        data=f"{CALLBACK}:go:{round_.id}",
    )
    return text, [[button]]


def render_summary(services: Services, member: Member, progress: Progress) -> Reply:
    """All answers, a button to change each, and the visibility choice for this round.

    One message, so it must fit Telegram's limit whatever was typed: every answer (and, if
    still needed, every question) is quoted by its start only, shortened on a word boundary
    before escaping. The raw HTML is measured, which is never shorter than what Telegram counts.
    """
    text = Markup("")
    for limit in SUMMARY_EXCERPTS:
        text = _summary_text(services, member, progress, limit)
        if utf16_length(str(text)) <= TELEGRAM_LIMIT:
            break
    return Reply(text, _summary_markup(services, member, progress))


def _visibility(services: Services, progress: Progress) -> str:
    return progress.participation.visibility or services.settings.checkin_default_visibility


def _summary_text(services: Services, member: Member, progress: Progress, limit: int) -> Markup:
    t, language = services.translate, _language(services, member)
    # Questions are quoted whole unless even the shortest answers leave no room for them.
    question_limit = None if limit > SUMMARY_EXCERPTS[-1] else limit
    lines = [t(language, "checkin.summary.title", number=progress.round.number)]
    for rq in progress.questions:
        answer = progress.answers.get(rq.id or 0)
        given = answer.text if answer is not None and answer.text else None
        question = question_text(language, rq)
        lines.append(
            t(
                language,
                "checkin.summary.item",
                number=rq.position,
                question=excerpt(question, question_limit) if question_limit else question,
                answer=excerpt(given, limit) if given else t(language, "checkin.summary.skipped"),
            )
        )
    lines.append(
        t(
            language,
            "checkin.summary.footer",
            visibility=t(language, f"checkin.visibility.{_visibility(services, progress)}"),
            until=format_moment(progress.round.closes_at, language, services),
        )
    )
    return Markup("\n\n").join(lines)


def _summary_markup(services: Services, member: Member, progress: Progress) -> Keyboard:
    t, language = services.translate, _language(services, member)
    visibility = _visibility(services, progress)
    edit_buttons = [
        Button(
            str(t(language, "checkin.button.edit", number=rq.position)),
            data=f"{CALLBACK}:edit:{rq.id}",
        )
        for rq in progress.questions
    ]
    rows = [edit_buttons[i : i + 3] for i in range(0, len(edit_buttons), 3)]
    rows += [
        [
            Button(
                ("✓ " if choice == visibility else "")
                + str(t(language, f"checkin.button.visibility.{choice}")),
                data=f"{CALLBACK}:vis:{progress.round.id}:{choice}",
            )
        ]
        for choice in VISIBILITIES
    ]
    return rows


def render_next(services: Services, member: Member, progress: Progress, *, saved: bool) -> Reply:
    """The next unanswered question, or the summary when there is none."""
    rq = progress.next_question()
    if rq is None:
        return render_summary(services, member, progress)
    text = _ask(services, member, progress.questions, rq)
    if not progress.answers:  # starting with /checkin, perhaps without the greeting
        text = visibility_note(services, member) + Markup("\n\n") + text
    if saved:
        text = (
            services.translate(_language(services, member), "checkin.saved") + Markup("\n\n") + text
        )
    return Reply(text, question_markup(services, member, rq))


def closed_reply(services: Services, member: Member, now: dt.datetime) -> Reply:
    language = _language(services, member)
    return Reply(
        services.translate(language, "checkin.closed")
        + Markup(" ")
        + next_round_text(services, language, now)
    )


# ------------------------------------------------------------------------------ the flow


async def _finish_if_done(
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
    if progress.next_question() is None and participation.finished_at is None:
        participation.finished_at = now
    session.add(participation)
    member.awaiting = None if progress.next_question() is None else f"{PREFIX}:{progress.round.id}"
    member.draft = None
    session.add(member)


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
    )
    progress.answers[rq.id] = answer
    await _finish_if_done(session, services=services, member=member, progress=progress)
    return answer


async def take_text(*, services: Services, member: Member, text: str | None) -> Reply:
    """A message from the member while a check-in may be running.

    The hot path of a round: the round, its questions and the member's own rows are read
    without holding the write lock (the member's updates are processed one at a time, see
    handlers.update_order); one short transaction checks that the round is still open and stores
    the answer. It is committed before this returns, so before the bot replies.
    """
    now = services.clock.now()
    round_id, edit_id = parse_awaiting(member.awaiting)
    seen = services.round_cache.version
    async with services.db.session() as session:
        current = await services.round_cache.get(session)
        progress = (
            await read_progress(session, current=current, member=member)
            if current is not None and is_open(current.round, now)
            else None
        )
    if current is None or progress is None:
        await _update_member(services, member, awaiting=None, draft=None)
        return closed_reply(services, member, now)
    if round_id != current.round.id:  # left over from an earlier round: this text is for this one
        edit_id = None
    rq = progress.find(edit_id) if edit_id else progress.next_question()
    if rq is None:
        return render_summary(services, member, progress)
    if text is None or not text.strip():
        language = _language(services, member)
        return Reply(services.translate(language, "checkin.text_needed", number=rq.position))
    text = text.strip()
    if len(text) > services.settings.answer_max_chars:
        awaiting = member.awaiting or f"{PREFIX}:{current.round.id}"
        await _update_member(services, member, awaiting=awaiting, draft=text)
        return too_long_reply(services, member, rq, length=len(text))

    async with services.db.write() as session:
        stored = await session.merge(member, load=False)
        # The round may have closed since it was read: an answer after the close is not taken.
        # Every close commits under this lock and bumps the cache's version, so an unchanged
        # version proves the round is still open without asking the database again.
        still: Round | None = current.round
        if services.round_cache.version != seen or not is_open(current.round, services.clock.now()):
            still = await store.get_round(session, round_id=rq.round_id)
        if still is None or not is_open(still, services.clock.now()):
            stored.awaiting, stored.draft = None, None
            await session.commit()
            return closed_reply(services, member, services.clock.now())
        await save(session, services=services, member=stored, progress=progress, rq=rq, text=text)
        await session.commit()
    if edit_id:
        return render_summary(services, member, progress)
    return render_next(services, member, progress, saved=True)


async def _update_member(
    services: Services, member: Member, *, awaiting: str | None, draft: str | None
) -> None:
    if member.awaiting == awaiting and member.draft == draft:
        return
    async with services.db.write() as session:
        stored = await session.merge(member, load=False)
        stored.awaiting, stored.draft = awaiting, draft
        await session.commit()


def too_long_reply(services: Services, member: Member, rq: RoundQuestion, *, length: int) -> Reply:
    language = _language(services, member)
    limit = services.settings.answer_max_chars
    text = services.translate(language, "checkin.too_long", length=length, limit=limit)
    button = Button(
        str(services.translate(language, "checkin.button.trim", limit=limit)),
        data=f"{CALLBACK}:trim:{rq.id}",
    )
    return Reply(text, [[button]])


async def start(session: AsyncSession, *, services: Services, member: Member) -> Reply:
    """`/checkin` (or "continue"): the next unanswered question, else the summary."""
    now = services.clock.now()
    round_ = await store.current_round(session)
    if round_ is None or not is_open(round_, now):
        member.awaiting = None
        session.add(member)
        language = _language(services, member)
        return Reply(
            services.translate(language, "checkin.no_round")
            + Markup(" ")
            + next_round_text(services, language, now)
        )
    progress = await load_progress(session, round_=round_, member=member)
    progress.participation.postponed_at = None
    session.add(progress.participation)
    member.awaiting = f"{PREFIX}:{round_.id}" if progress.next_question() else None
    session.add(member)
    return render_next(services, member, progress, saved=False)


async def _round_of(
    session: AsyncSession, *, round_question_id: int
) -> tuple[Round | None, RoundQuestion | None]:
    rq = await session.get(RoundQuestion, round_question_id)
    round_ = await store.get_round(session, round_id=rq.round_id) if rq else None
    return round_, rq


async def button(
    session: AsyncSession, *, services: Services, member: Member, action: str, ident: int,
    value: str | None,
) -> Reply:  # fmt: skip
    """A press on one of the check-in buttons (the caller commits)."""
    now = services.clock.now()
    if action in ("later", "go", "vis"):
        round_ = await store.get_round(session, round_id=ident)
        rq = None
    else:
        round_, rq = await _round_of(session, round_question_id=ident)
    if round_ is None or not is_open(round_, now):
        return closed_reply(services, member, now)
    progress = await load_progress(session, round_=round_, member=member)
    language = _language(services, member)
    t = services.translate
    if action == "go":
        return await start(session, services=services, member=member)
    if action == "later":
        progress.participation.postponed_at = now
        session.add(progress.participation)
        member.awaiting = None
        session.add(member)
        until = format_moment(round_.closes_at, language, services)
        return Reply(t(language, "checkin.postponed", until=until))
    if action == "vis" and value in VISIBILITIES:
        progress.participation.visibility = value
        session.add(progress.participation)
        reply = render_summary(services, member, progress)
        reply.edit = True
        return reply
    if rq is None or rq.id is None:
        return render_next(services, member, progress, saved=False)
    if action == "skip":
        if rq.id in progress.answers:  # an old message's button: the answer stays
            return render_next(services, member, progress, saved=False)
        await save(session, services=services, member=member, progress=progress, rq=rq, text=None)
        return render_next(services, member, progress, saved=False)
    if action == "edit":
        member.awaiting = f"{PREFIX}:{round_.id}:edit:{rq.id}"
        session.add(member)
        answer = progress.answers.get(rq.id)
        current = answer.text if answer is not None and answer.text else None
        return Reply(
            t(
                language,
                "checkin.edit",
                number=rq.position,
                question=question_text(language, rq),
                current=current or t(language, "checkin.summary.skipped"),
            )
        )
    if action == "trim" and member.draft:
        text = shorten(member.draft, services.settings.answer_max_chars)
        editing = parse_awaiting(member.awaiting)[1] is not None
        await save(session, services=services, member=member, progress=progress, rq=rq, text=text)
        if editing:
            return render_summary(services, member, progress)
        return render_next(services, member, progress, saved=True)
    return render_next(services, member, progress, saved=False)


async def has_open_question(services: Services, *, member: Member) -> bool:
    """Was the member asked in the open round and has not finished? (free text → answer)"""
    if member.id is None:
        return False
    async with services.db.session() as session:
        current = await store.current_round(session)
        if current is None or current.id is None or not is_open(current, services.clock.now()):
            return False
        participation = await store.get_participation(
            session, round_id=current.id, member_id=member.id
        )
    return participation is not None and participation.finished_at is None


async def invite_after_onboarding(services: Services, *, telegram_id: int) -> None:
    """A member just finished the guided profile: while a round is open they get its greeting
    and first question now (they were left out when it opened). Once per round and member."""
    now = services.clock.now()
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        round_ = await store.current_round(session)
        if member is None or member.id is None or member.awaiting is not None:
            return
        if round_ is None or round_.id is None or not is_open(round_, now):
            return
        paused = member.paused_until is not None and member.paused_until > now
        if member.consent_at is None or not member.reachable or paused:
            return
        if await store.has_answers(session, round_id=round_.id, member_id=member.id):
            return
        await store.ensure_participation(session, round_id=round_.id, member_id=member.id)
        copies = list(await store.round_questions(session, round_id=round_.id))
        text, markup = render_prompt(services, member, round_, copies)
        queued = await services.outbox.enqueue(
            session,
            key=prompt_key(round_.id, member.id),
            chat_id=member.telegram_id,
            payload=message_payload(text, buttons=markup),
            respect_quiet_hours=False,  # the member is in the chat right now
        )
        await session.commit()
    if queued:
        services.outbox.wake()
