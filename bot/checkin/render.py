"""What the check-in says: questions, greeting, reminder, summary, and the short answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from bot.checkin.buttons import ButtonAction, CheckinButton
from bot.checkin.progress import Progress
from bot.checkin.timing import format_moment, next_round_text
from bot.paging import TELEGRAM_LIMIT, excerpt, utf16_length
from bot.services import Services
from bot.ui import Button, Keyboard
from storage.tables import Member, Round, RoundQuestion

VISIBILITIES = ("all", "coordinators", "anonymous")
# How much of each answer the summary quotes; fewer characters when many long questions and
# answers would otherwise not fit one message (the full answer is shown when changing it).
SUMMARY_EXCERPTS = (300, 200, 120, 60, 30)


@dataclass
class CheckinReply:
    """What the bot answers; `edit` asks to replace the pressed message instead."""

    text: Markup
    markup: Keyboard | None = None
    edit: bool = False


def question_text(language: str, rq: RoundQuestion) -> str:
    return (rq.text_en or rq.text_de) if language == "en" else rq.text_de


def language_of(services: Services, member: Member) -> str:
    return services.translate.language_for(member.language)


def _id(rq: RoundQuestion) -> int:
    assert rq.id is not None
    return rq.id


def _ask(services: Services, member: Member, questions: list[RoundQuestion],
         rq: RoundQuestion) -> Markup:  # fmt: skip
    language = language_of(services, member)
    return services.translate(
        language,
        "checkin.question",
        number=rq.position,
        total=len(questions),
        question=question_text(language, rq),
    )


def question_markup(services: Services, member: Member, rq: RoundQuestion) -> Keyboard:
    t, language = services.translate, language_of(services, member)
    skip = CheckinButton(ButtonAction.SKIP, _id(rq))
    later = CheckinButton(ButtonAction.LATER, rq.round_id)
    return [
        [
            Button(str(t(language, "checkin.button.skip")), data=skip.encode()),
            Button(str(t(language, "checkin.button.later")), data=later.encode()),
        ]
    ]


def render_prompt(
    services: Services, member: Member, round_: Round, copies: list[RoundQuestion]
) -> tuple[Markup, Keyboard]:
    """The greeting with the first question, queued for every member when a round opens."""
    language = language_of(services, member)
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
    language = language_of(services, member)
    default = services.settings.checkin_default_visibility
    return services.translate(
        language,
        "checkin.visibility_note",
        visibility=services.translate(language, f"checkin.visibility.{default}"),
    )


def render_reminder(
    services: Services, member: Member, round_: Round, *, answered: int, total: int
) -> tuple[Markup, Keyboard]:
    language = language_of(services, member)
    text = services.translate(
        language,
        "checkin.reminder",
        name=member.display_name or "",
        number=round_.number,
        answered=answered,
        total=total,
        until=format_moment(round_.closes_at, language, services),
    )
    assert round_.id is not None
    button = Button(
        str(services.translate(language, "checkin.button.continue")),
        data=CheckinButton(ButtonAction.GO, round_.id).encode(),
    )
    return text, [[button]]


def render_summary(services: Services, member: Member, progress: Progress) -> CheckinReply:
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
    return CheckinReply(text, _summary_markup(services, member, progress))


def _visibility(services: Services, progress: Progress) -> str:
    return progress.participation.visibility or services.settings.checkin_default_visibility


def _summary_text(services: Services, member: Member, progress: Progress, limit: int) -> Markup:
    t, language = services.translate, language_of(services, member)
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
    t, language = services.translate, language_of(services, member)
    visibility = _visibility(services, progress)
    round_id = progress.round.id
    assert round_id is not None
    edit_buttons = [
        Button(
            str(t(language, "checkin.button.edit", number=rq.position)),
            data=CheckinButton(ButtonAction.EDIT, _id(rq)).encode(),
        )
        for rq in progress.questions
    ]
    rows = [edit_buttons[i : i + 3] for i in range(0, len(edit_buttons), 3)]
    rows += [
        [
            Button(
                ("✓ " if choice == visibility else "")
                + str(t(language, f"checkin.button.visibility.{choice}")),
                data=CheckinButton(ButtonAction.VISIBILITY, round_id, choice).encode(),
            )
        ]
        for choice in VISIBILITIES
    ]
    return rows


SAVED_EXCERPT = 40  # enough of the answer to recognise it, short enough to read at a glance


def render_next(
    services: Services, member: Member, progress: Progress, *, saved: RoundQuestion | None
) -> CheckinReply:
    """The next unanswered question, or the summary when there is none. After an answer was
    stored (`saved`), the reply first names what it stored where: a member who re-types an
    answer whose confirmation a crash ate sees where the first one went."""
    rq = progress.next_question()
    if rq is None:
        return render_summary(services, member, progress)
    text = _ask(services, member, progress.questions, rq)
    if not progress.answers:  # starting with /checkin, perhaps without the greeting
        text = visibility_note(services, member) + Markup("\n\n") + text
    answer = progress.answers.get(saved.id) if saved is not None and saved.id else None
    if saved is not None and answer is not None and answer.text:
        saved_note = services.translate(
            language_of(services, member),
            "checkin.saved",
            number=saved.position,
            answer=excerpt(answer.text, SAVED_EXCERPT),
        )
        text = saved_note + Markup("\n\n") + text
    return CheckinReply(text, question_markup(services, member, rq))


def closed_reply(services: Services, member: Member, now: dt.datetime) -> CheckinReply:
    language = language_of(services, member)
    return CheckinReply(
        services.translate(language, "checkin.closed")
        + Markup(" ")
        + next_round_text(services, language, now)
    )


def no_round_reply(services: Services, member: Member, now: dt.datetime) -> CheckinReply:
    language = language_of(services, member)
    return CheckinReply(
        services.translate(language, "checkin.no_round")
        + Markup(" ")
        + next_round_text(services, language, now)
    )


def too_long_reply(
    services: Services, member: Member, rq: RoundQuestion, *, length: int
) -> CheckinReply:
    language = language_of(services, member)
    limit = services.settings.answer_max_chars
    text = services.translate(language, "checkin.too_long", length=length, limit=limit)
    button = Button(
        str(services.translate(language, "checkin.button.trim", limit=limit)),
        data=CheckinButton(ButtonAction.TRIM, _id(rq)).encode(),
    )
    return CheckinReply(text, [[button]])


def text_needed_reply(services: Services, member: Member, rq: RoundQuestion) -> CheckinReply:
    language = language_of(services, member)
    return CheckinReply(services.translate(language, "checkin.text_needed", number=rq.position))


def postponed_reply(services: Services, member: Member, round_: Round) -> CheckinReply:
    language = language_of(services, member)
    until = format_moment(round_.closes_at, language, services)
    return CheckinReply(services.translate(language, "checkin.postponed", until=until))


def edit_reply(
    services: Services, member: Member, rq: RoundQuestion, current: str | None
) -> CheckinReply:
    """Asks for the new text of one answer, showing the one it replaces."""
    t, language = services.translate, language_of(services, member)
    return CheckinReply(
        t(
            language,
            "checkin.edit",
            number=rq.position,
            question=question_text(language, rq),
            current=current or t(language, "checkin.summary.skipped"),
        )
    )
