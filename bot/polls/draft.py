"""The guided `/poll`: question, options, settings with buttons, a preview, then "Senden".

Where it stands lives in `poll_draft` (one per coordinator), so a restart resumes exactly
there; what was typed is kept until it is sent or cancelled (or a day has passed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from markupsafe import Markup

from bot.config import Settings, parse_duration
from bot.paging import utf16_length
from bot.polls.create import Refused, Started, start_poll
from bot.polls.rules import OPTION_MAX, OPTIONS_MAX, OPTIONS_MIN, QUESTION_MAX, PollSpec
from bot.services import Services
from bot.ui import Button, Problem, Reply
from storage import polls as store
from storage.tables import Member, PollAudience, PollDraft

CLOSE_CHOICES = ("", "1d", "3d", "7d", "14d")
AUDIENCE_CHOICES = (PollAudience.GROUP, PollAudience.ALL)
_DATA = re.compile(r"pd:([a-z]+)")


class DraftAction(StrEnum):
    DONE = "done"  # options complete
    MULTIPLE = "multi"
    ANONYMOUS = "anon"
    HIDDEN = "hide"
    AUDIENCE = "audience"
    CLOSE = "close"
    PREVIEW = "preview"
    BACK = "back"
    SEND = "send"
    CANCEL = "cancel"


@dataclass(frozen=True)
class DraftButton:
    """Callback data of the guided dialog's buttons: `pd:<action>`."""

    action: DraftAction

    def encode(self) -> str:
        return f"pd:{self.action.value}"

    @classmethod
    def decode(cls, data: str) -> DraftButton | None:
        match = _DATA.fullmatch(data)
        if match is None:
            return None
        try:
            return cls(DraftAction(match[1]))
        except ValueError:
            return None


PATTERN = r"^pd:[a-z]+$"


@dataclass(frozen=True)
class DraftReply:
    """What to show: a new message, or (`edit`) the pressed message changed in place."""

    reply: Reply
    edit: bool = False
    started: Started | None = None
    problems: list[Problem] | None = None


def may_have_draft(member: Member | None, *, telegram_id: int, settings: Settings) -> bool:
    """Drafts are only started by coordinators (configured, or given the role)."""
    return telegram_id in settings.coordinator_ids or bool(member and member.is_coordinator)


async def has_draft(services: Services, *, telegram_id: int) -> bool:
    async with services.db.session() as session:
        return await store.draft_of(session, telegram_id=telegram_id) is not None


async def begin(services: Services, *, telegram_id: int, chat_id: int, language: str) -> Reply:
    """A new draft (an unfinished one is replaced)."""
    now = services.clock.now()
    async with services.db.write() as session:
        await store.delete_draft(session, telegram_id=telegram_id)
        session.add(
            PollDraft(
                telegram_id=telegram_id,
                chat_id=chat_id,
                step="question",
                created_at=now,
                updated_at=now,
            )
        )
        await session.commit()
    return _ask_question(services, language)


async def cancel(services: Services, *, telegram_id: int, language: str) -> Reply:
    async with services.db.write() as session:
        existed = await store.draft_of(session, telegram_id=telegram_id) is not None
        await store.delete_draft(session, telegram_id=telegram_id)
        await session.commit()
    key = "polls.draft.cancelled" if existed else "polls.draft.none"
    return Reply(str(services.translate(language, key)), [])


async def take_text(
    services: Services, *, telegram_id: int, text: str, language: str
) -> Reply | None:
    """The coordinator's next message in the dialog; None when there is no draft."""
    translate = services.translate
    async with services.db.write() as session:
        draft = await store.draft_of(session, telegram_id=telegram_id)
        if draft is None:
            return None
        draft.updated_at = services.clock.now()
        text = text.strip()
        if draft.step == "question":
            if not text or utf16_length(text) > QUESTION_MAX:
                session.add(draft)
                await session.commit()
                return Reply(
                    str(
                        translate(
                            language,
                            "polls.draft.question_too_long",
                            length=utf16_length(text),
                            limit=QUESTION_MAX,
                            draft=text,
                        )
                    ),
                    [],
                )
            draft.question, draft.step = text, "options"
            session.add(draft)
            await session.commit()
            return Reply(
                str(translate(language, "polls.draft.ask_options", question=text)),
                [[_button(services, language, DraftAction.CANCEL)]],
            )
        if draft.step == "options":
            problems: list[Markup] = []
            options = list(draft.options)
            for line in (line.strip() for line in text.splitlines()):
                if not line:
                    continue
                if utf16_length(line) > OPTION_MAX:
                    problems.append(
                        translate(
                            language, "polls.draft.option_too_long", limit=OPTION_MAX, draft=line
                        )
                    )
                elif line.casefold() in {option.casefold() for option in options}:
                    problems.append(translate(language, "polls.draft.option_twice", option=line))
                elif len(options) >= OPTIONS_MAX:
                    problems.append(
                        translate(
                            language, "polls.draft.option_full", limit=OPTIONS_MAX, draft=line
                        )
                    )
                else:
                    options.append(line)
            draft.options = options
            session.add(draft)
            await session.commit()
            return _options_reply(services, language, draft, problems)
        session.add(draft)
        await session.commit()
    return Reply(str(translate(language, "polls.draft.use_buttons")), [])


async def press(
    services: Services, *, telegram_id: int, action: DraftAction, language: str, message_id: int
) -> DraftReply:
    translate = services.translate
    if action is DraftAction.CANCEL:
        return DraftReply(
            await cancel(services, telegram_id=telegram_id, language=language), edit=True
        )
    async with services.db.write() as session:
        draft = await store.draft_of(session, telegram_id=telegram_id)
        if draft is None:
            return DraftReply(Reply(str(translate(language, "polls.draft.none")), []), edit=True)
        settings = dict(draft.settings)
        if action is DraftAction.DONE and len(draft.options) >= OPTIONS_MIN:
            draft.step = "settings"
        elif action is DraftAction.MULTIPLE:
            settings["multi"] = not settings.get("multi", False)
        elif action is DraftAction.ANONYMOUS:
            settings["anon"] = not settings.get("anon", False)
        elif action is DraftAction.HIDDEN:
            settings["hide"] = not settings.get("hide", False)
        elif action is DraftAction.AUDIENCE:
            settings["audience"] = _next(AUDIENCE_CHOICES, settings.get("audience", "group"))
        elif action is DraftAction.CLOSE:
            settings["close"] = _next(CLOSE_CHOICES, settings.get("close", ""))
        elif action is DraftAction.PREVIEW:
            draft.step = "preview"
        elif action is DraftAction.BACK:
            draft.step = "settings"
        draft.settings, draft.updated_at = settings, services.clock.now()
        session.add(draft)
        await session.commit()
    if action is DraftAction.SEND and draft.step == "preview":
        return await _send(services, draft, language=language, message_id=message_id)
    if draft.step == "options":
        return DraftReply(_options_reply(services, language, draft, []), edit=True)
    if draft.step == "preview":
        return DraftReply(_preview(services, language, draft), edit=True)
    return DraftReply(_settings_reply(services, language, draft), edit=True)


async def _send(
    services: Services, draft: PollDraft, *, language: str, message_id: int
) -> DraftReply:
    spec = spec_of(draft, now=services.clock.now())
    outcome = await start_poll(
        services,
        spec=spec,
        coordinator_id=draft.telegram_id,
        chat_id=draft.chat_id,
        message_id=message_id,
        asked_in_group=False,
    )
    if isinstance(outcome, Refused):
        return DraftReply(
            _settings_reply(services, language, draft), edit=False, problems=outcome.problems
        )
    async with services.db.write() as session:
        await store.delete_draft(session, telegram_id=draft.telegram_id)
        await session.commit()
    return DraftReply(
        Reply(str(services.translate(language, "polls.draft.sent")), []), edit=True, started=outcome
    )


def spec_of(draft: PollDraft, *, now: dt.datetime) -> PollSpec:
    settings = draft.settings
    close = settings.get("close") or ""
    return PollSpec(
        question=draft.question or "",
        options=tuple(draft.options),
        allows_multiple=bool(settings.get("multi")),
        anonymous=bool(settings.get("anon")),
        hide_results=bool(settings.get("hide")),
        audience=PollAudience(settings.get("audience", "group")),
        closes_at=now + parse_duration(close) if close else None,
    )


def _next(choices: tuple[str, ...], current: str) -> str:
    index = choices.index(current) if current in choices else -1
    return choices[(index + 1) % len(choices)]


def _button(services: Services, language: str, action: DraftAction, **params: object) -> Button:
    text = services.translate(language, f"polls.draft.button.{action.value}", **params)
    return Button(str(text), DraftButton(action).encode())


def _ask_question(services: Services, language: str) -> Reply:
    return Reply(
        str(services.translate(language, "polls.draft.ask_question")),
        [[_button(services, language, DraftAction.CANCEL)]],
    )


def _options_reply(
    services: Services, language: str, draft: PollDraft, problems: list[Markup]
) -> Reply:
    translate = services.translate
    lines: list[Markup] = list(problems)
    lines.append(
        translate(
            language, "polls.draft.options_so_far", count=len(draft.options), limit=OPTIONS_MAX
        )
    )
    lines += [Markup("{}. {}").format(n, option) for n, option in enumerate(draft.options, 1)]
    buttons = []
    if len(draft.options) >= OPTIONS_MIN:
        buttons.append(_button(services, language, DraftAction.DONE))
    else:
        lines.append(translate(language, "polls.draft.options_more", minimum=OPTIONS_MIN))
    buttons.append(_button(services, language, DraftAction.CANCEL))
    return Reply(str(Markup("\n").join(lines)), [buttons])


def _on_off(services: Services, language: str, value: object) -> str:
    return str(services.translate(language, "polls.draft.on" if value else "polls.draft.off"))


def _settings_reply(services: Services, language: str, draft: PollDraft) -> Reply:
    translate, settings = services.translate, draft.settings
    audience = str(translate(language, f"polls.draft.audience.{settings.get('audience', 'group')}"))
    close = settings.get("close") or ""
    closes = close if close else str(translate(language, "polls.draft.close.none"))
    keyboard = [
        [
            _button(
                services,
                language,
                DraftAction.MULTIPLE,
                value=_on_off(services, language, settings.get("multi")),
            ),
            _button(
                services,
                language,
                DraftAction.ANONYMOUS,
                value=_on_off(services, language, settings.get("anon")),
            ),
        ],
        [
            _button(
                services,
                language,
                DraftAction.HIDDEN,
                value=_on_off(services, language, settings.get("hide")),
            )
        ],
        [_button(services, language, DraftAction.AUDIENCE, value=audience)],
        [_button(services, language, DraftAction.CLOSE, value=closes)],
        [
            _button(services, language, DraftAction.PREVIEW),
            _button(services, language, DraftAction.CANCEL),
        ],
    ]
    text = translate(language, "polls.draft.settings", question=draft.question or "")
    return Reply(str(text), keyboard)


def _preview(services: Services, language: str, draft: PollDraft) -> Reply:
    translate, settings = services.translate, draft.settings
    lines = [translate(language, "polls.draft.preview", question=draft.question or "")]
    lines += [Markup("• {}").format(option) for option in draft.options]
    audience = translate(language, f"polls.draft.audience.{settings.get('audience', 'group')}")
    lines.append(translate(language, "polls.draft.preview.audience", audience=audience))
    if settings.get("close"):
        lines.append(translate(language, "polls.draft.preview.close", close=settings["close"]))
    for flag in ("multi", "anon", "hide"):
        if settings.get(flag):
            lines.append(translate(language, f"polls.draft.preview.{flag}"))
    keyboard = [
        [_button(services, language, DraftAction.SEND)],
        [
            _button(services, language, DraftAction.BACK),
            _button(services, language, DraftAction.CANCEL),
        ],
    ]
    return Reply(str(Markup("\n").join(lines)), keyboard)
