"""Invite links: a code in a `t.me/<bot>?start=<code>` link that pre-selects a cohort."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from enum import StrEnum

from bot.members.callbacks import RevokeInviteButton
from bot.members.notice import Notice
from bot.members.profile import match_cohort
from bot.members.rules import show_date
from bot.services import Services
from bot.ui import Button, Reply
from storage import members as member_store
from storage.tables import Invite

# Telegram allows A-Z, a-z, 0-9, _ and - in a start parameter; token_urlsafe uses exactly those.
CODE_BYTES = 9  # 12 characters


class InviteStatus(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def looks_like_code(text: str) -> bool:
    """Worth a database look-up: the shape our codes have (anything else is unknown)."""
    return 1 <= len(text) <= 32 and all(
        ch.isascii() and (ch.isalnum() or ch in "_-") for ch in text
    )


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def status(invite: Invite | None, *, now: dt.datetime) -> InviteStatus:
    if invite is None:
        return InviteStatus.UNKNOWN
    if invite.revoked_at is not None:
        return InviteStatus.REVOKED
    if invite.expires_at is not None and invite.expires_at <= now:
        return InviteStatus.EXPIRED
    return InviteStatus.VALID


# ------------------------------------------------------------------------------ use cases


async def create(
    services: Services,
    *,
    created_by: int,
    words: Sequence[str],
    bot_username: str,
    language: str,
) -> Reply:
    """`/invite [cohort]`: a new link (for that cohort), with a button that revokes it."""
    translate, validity = services.translate, services.settings.invite_validity
    typed = " ".join(words)
    async with services.db.write() as session:
        known = list(await member_store.list_cohorts(session))
        cohort = match_cohort(typed, known) if words else None
        if words and cohort is None:
            names = ", ".join(c.name for c in known) or "–"
            text = translate(language, "invite.unknown_cohort", typed=typed, names=names)
            return Reply(str(text))
        invite = await member_store.add_invite(
            session,
            code=new_code(),
            cohort_id=cohort.id if cohort else None,
            created_by=created_by,
            expires_at=services.clock.now() + validity if validity > dt.timedelta(0) else None,
        )
        await session.commit()
    if invite.expires_at is None:
        validity_text = translate(language, "invite.valid_forever")
    else:
        local_day = invite.expires_at.astimezone(services.settings.tz).date()
        day = show_date(local_day, language)
        validity_text = translate(language, "invite.valid_until", day=day)
    text = translate(
        language,
        "invite.created",
        link=deep_link(bot_username, invite.code),
        cohort=cohort.name if cohort else translate(language, "invite.any_cohort"),
        validity=validity_text,
        code=invite.code,
    )
    revoke = RevokeInviteButton(invite.code).encode()
    return Reply(str(text), [[Button(str(translate(language, "invite.button.revoke")), revoke)]])


async def revoke(services: Services, *, code: str) -> Notice:
    """`/invite revoke CODE` or the button under the link: the link stops working."""
    async with services.db.write() as session:
        invite = await member_store.get_invite(session, code=code) if code else None
        if invite is not None and invite.revoked_at is None:
            invite.revoked_at = services.clock.now()
            session.add(invite)
            await session.commit()
    if invite is None:
        return Notice("invite.revoke_unknown", {"code": code})
    return Notice("invite.revoked", {"code": code})
