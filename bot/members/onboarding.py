"""/start: the welcome with the privacy notice, consent, and redeeming an invite link.

Before consent nothing about the person is stored: the invite code and the chosen language
travel in the consent button (`bot.members.callbacks.ConsentButton`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.members import invites
from bot.members.callbacks import ConsentAction, ConsentButton
from bot.members.invites import InviteStatus
from bot.members.privacy import retention_text
from bot.members.profile import telegram_name
from bot.members.profile_dialogue import ProfileStep, after_change, asked, start_onboarding
from bot.members.profile_state import Mode
from bot.services import Services
from bot.ui import Button, Reply
from storage import members as member_store
from storage.tables import Member


def other_language(language: str) -> str:
    return "en" if language == "de" else "de"


def notice(services: Services, *, language: str, first_name: str, code: str) -> Reply:
    """The welcome, the privacy notice and the consent buttons in `language`."""
    translate = services.translate
    language = translate.language_for(language)
    retention = retention_text(services.settings.retention, language)
    welcome = translate(language, "start.welcome", name=first_name)
    text = translate(language, "consent.notice", retention=retention)

    def button(key: str, action: ConsentAction, shown_in: str) -> Button:
        data = ConsentButton(action, shown_in, code).encode()
        return Button(str(translate(language, key)), data=data)

    keyboard = [
        [button("consent.button.yes", ConsentAction.YES, language)],
        [
            button("consent.button.no", ConsentAction.NO, language),
            button(
                "consent.button.other_language",
                ConsentAction.OTHER_LANGUAGE,
                other_language(language),
            ),
        ],
    ]
    return Reply(f"{welcome}\n\n{text}", keyboard)


def declined(services: Services, *, language: str) -> Reply:
    """No consent: nothing was stored, and the person hears so."""
    return Reply(str(services.translate(language, "consent.declined")))


async def greet(
    services: Services,
    *,
    telegram_id: int,
    first_name: str,
    telegram_language: str | None,
    code: str,
) -> list[Reply]:
    """/start [code]: a newcomer sees the notice (after what is wrong with the invite link, if
    anything); a member is welcomed back where they left off."""
    translate = services.translate
    async with services.db.session() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is not None:
            name = member.display_name or first_name
            welcome = Reply(str(translate(member.language, "start.welcome_back", name=name)))
            return [welcome, *(await asked(session, services, member)).replies]
        language = translate.language_for(telegram_language)
        replies: list[Reply] = []
        if code:
            invite = (
                await member_store.get_invite(session, code=code)
                if invites.looks_like_code(code)
                else None
            )
            status = invites.status(invite, now=services.clock.now())
            if status is not InviteStatus.VALID:
                replies.append(Reply(str(translate(language, f"invite.problem.{status}"))))
                code = ""
    replies.append(notice(services, language=language, first_name=first_name, code=code))
    return replies


@dataclass
class Consent:
    """What pressing "yes" did. `replies` come first; then, for a new member (`created`), the
    coordinator menu if they are one; then `then`, the profile's first question."""

    member: Member
    created: bool
    replies: list[Reply]
    then: ProfileStep


async def consent(
    services: Services,
    *,
    telegram_id: int,
    username: str | None,
    first_name: str,
    last_name: str | None,
    language: str,
    code: str,
) -> Consent:
    """The member is created (in the cohort of a still valid invite, which counts one use)
    and stands at the first profile question; pressed again, nothing changes."""
    translate = services.translate
    language = translate.language_for(language)
    status: InviteStatus | None = None
    async with services.db.write() as session:
        member = await member_store.get_member(session, telegram_id=telegram_id)
        if member is not None:
            already = Reply(str(translate(member.language, "consent.already")))
            return Consent(member, False, [already], await asked(session, services, member))
        cohort_id = None
        if code:
            invite = await member_store.get_invite(session, code=code)
            status = invites.status(invite, now=services.clock.now())
            if status is InviteStatus.VALID and invite is not None:
                invite.used_count += 1
                session.add(invite)
                cohort_id = invite.cohort_id
        member = await member_store.create_member(
            session,
            telegram_id=telegram_id,
            username=username,
            language=language,
            display_name=telegram_name(first_name, last_name),
            cohort_id=cohort_id,
            awaiting=None,
            now=services.clock.now(),
        )
        await start_onboarding(session, member)
        await member_store.save_member(session, member=member)
        await session.commit()
        replies: list[Reply] = []
        if status is not None and status is not InviteStatus.VALID:
            # The link expired or was revoked while the notice was open: go on without it.
            replies.append(Reply(str(translate(language, f"invite.problem.{status}"))))
        replies.append(Reply(str(translate(language, "consent.thanks"))))
        then = await after_change(session, services, member, Mode.ONBOARDING)
    return Consent(member, True, replies, then)
