"""Handing digests to the outbox: one row per part, and the scheduled digest of a closed round.

Each part is queued as its own row (`bot.purpose_keys.DigestPartKey`); the outbox sends a
chat's rows in queue order, so the parts arrive as 1, 2, 3.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.assemble import DigestFile, Loaded, build, load_closed, messages
from bot.digest.model import Audience
from bot.digest.options import DigestOptions
from bot.payloads import document_payload, message_payload
from bot.purpose_keys import DigestSeries
from bot.services import Services
from storage import chats as chat_store
from storage import digests as store
from storage.tables import Round

logger = logging.getLogger(__name__)

# The payload entry that keeps a request's selection with each queued part (see enqueue_parts).
OPTIONS_KEY = "digest_options"


async def enqueue_parts(
    session: AsyncSession,
    *,
    services: Services,
    series: DigestSeries,
    chat_id: int,
    messages: list[str],
    files: Sequence[DigestFile] = (),
    respect_quiet_hours: bool = True,
    options: dict[str, Any] | None = None,
    from_part: int = 1,
) -> int:
    """Queue a digest's messages (and files) as the parts of `series`; returns how many were new.

    `options` (see `stored_options`) go into every part's payload, so a withdrawal can render
    the same selection again (the outbox reads only the keys it sends). Parts before
    `from_part` are left out (the chat already has them).
    """
    parts: list[tuple[str, dict[str, Any]]] = [
        ("send_message", message_payload(m)) for m in messages
    ]
    parts += [
        (
            "send_document",
            document_payload(filename=f.filename, content=f.content, caption=f.caption),
        )
        for f in files
    ]
    queued = 0
    for index, (method, payload) in enumerate(parts, 1):
        if index < from_part:
            continue
        if options:
            payload[OPTIONS_KEY] = options
        queued += await services.outbox.enqueue(
            session,
            key=series.part(index).encode(),
            chat_id=chat_id,
            payload=payload,
            method=method,
            respect_quiet_hours=respect_quiet_hours,
        )
    return queued


def stored_options(options: DigestOptions, loaded: Loaded) -> dict[str, Any]:
    """What a request selected, resolved (cohort id, theme name), to be stored with its parts."""
    return {
        "anonymous": options.anonymous,
        "cohort_id": loaded.cohort_id,
        "theme": loaded.theme,
        "files": options.files,
    }


def wake_after_commit(session: AsyncSession, services: Services) -> None:
    """The caller commits; wake the outbox then, not before (it would find nothing yet)."""
    event.listen(session.sync_session, "after_commit", lambda _: services.outbox.wake(), once=True)


async def on_round_closed(session: AsyncSession, *, services: Services, round: Round) -> None:
    """Called by the rounds feature inside the transaction that closes `round`.

    Enqueues the scheduled digest exactly once per round (the `digest` row and the purpose keys
    commit or roll back together with the close): the version every alumna/alumnus may see to
    the linked alumni group in the default language, and the coordinators' version to each
    coordinator's private chat in their language.
    """
    if round.id is None:
        await session.flush()
    assert round.id is not None
    if not await store.claim_scheduled(session, round_id=round.id):
        return
    loaded = await load_closed(session, round=round, now=services.clock.now())
    group = await chat_store.alumni_group(session)
    if group is not None:
        public = build(services, loaded, DigestOptions(), Audience.ALUMNI)
        await enqueue_parts(
            session,
            services=services,
            series=DigestSeries.group(round.number),
            chat_id=group.telegram_id,
            messages=messages(services, public, services.translate.default_language),
        )
    await _enqueue_for_coordinators(session, services=services, loaded=loaded, round=round)
    wake_after_commit(session, services)
    logger.info("digest_scheduled round=%s group=%s", round.number, group is not None)


async def _enqueue_for_coordinators(
    session: AsyncSession, *, services: Services, loaded: Loaded, round: Round
) -> None:
    private = build(services, loaded, DigestOptions(), Audience.COORDINATOR)
    rendered: dict[str, list[str]] = {}
    recipients = await store.coordinators(session, bootstrap_ids=services.settings.coordinator_ids)
    for recipient in recipients:
        language = services.translate.language_for(recipient.language)
        if language not in rendered:
            rendered[language] = messages(services, private, language)
        await enqueue_parts(
            session,
            services=services,
            series=DigestSeries.coordinator(round.number, recipient.telegram_id),
            chat_id=recipient.telegram_id,
            messages=rendered[language],
        )
