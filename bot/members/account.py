"""A member's own settings: /pause, /resume and /language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import SUPPORTED_LANGUAGES
from bot.members.callbacks import LanguageButton
from bot.members.notice import Notice
from bot.members.rules import PauseRefused, is_paused, parse_pause, show_date
from bot.services import Services
from bot.ui import Button, Reply
from storage import members as member_store
from storage.tables import Member


async def pause(services: Services, *, telegram_id: int, words: Sequence[str]) -> Notice | None:
    """`/pause` or `/pause bis 31.12.2026`: no check-in prompts or reminders until then.
    None when the person has not consented."""
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is None or member.consent_at is None:
            return None
        request = parse_pause(words, now=services.clock.now(), tz=services.settings.tz)
        if isinstance(request, PauseRefused):
            language = services.translate.language_for(member.language)
            day = show_date(request.day, language) if request.day else ""
            typed = " ".join(words)
            return Notice(f"pause.problem.{request.problem}", {"typed": typed, "day": day})
        member.paused_until = request.until
        await member_store.save_member(session, member=member)
        await session.commit()
    if request.last_day is None:
        return Notice("pause.open_ended")
    return Notice("pause.until", {"day": show_date(request.last_day, member.language)})


async def resume(services: Services, *, telegram_id: int) -> Notice | None:
    """The member gets check-in prompts again; None when they have not consented."""
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is None or member.consent_at is None:
            return None
        was_paused = is_paused(member, services.clock.now())
        member.paused_until = None
        await member_store.save_member(session, member=member)
        await session.commit()
    return Notice("pause.resumed" if was_paused else "pause.not_paused")


async def set_language(services: Services, *, telegram_id: int, language: str) -> Member | None:
    """Every text in `language` from now on; None when the person is not a member."""
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is None:
            return None
        member.language = language
        await member_store.save_member(session, member=member)
        await session.commit()
    return member


async def language_choice(services: Services, *, telegram_id: int, typed: str) -> Reply | None:
    """/language without a known language: one button per language; None when the person has
    not consented."""
    async with services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
    if member is None or member.consent_at is None:
        return None
    translate = services.translate
    key = "language.choose" if not typed else "language.unknown"
    buttons = [
        Button(
            str(translate(member.language, f"language.name.{code}")),
            data=LanguageButton(code).encode(),
        )
        for code in SUPPORTED_LANGUAGES
    ]
    return Reply(str(translate(member.language, key, typed=typed)), [buttons])
