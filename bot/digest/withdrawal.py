"""A member erased their data: digests still waiting in the outbox are withdrawn and the same
chats get them rendered again without the member."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.assemble import build, files, load_as_is, messages
from bot.digest.delivery import OPTIONS_KEY, enqueue_parts, wake_after_commit
from bot.digest.model import Audience
from bot.digest.options import DigestOptions
from bot.purpose_keys import DIGEST_PREFIX, DigestPartKey, DigestSeries
from bot.services import Services
from storage import digests as store
from storage import members as member_store
from storage import outbox as outbox_store
from storage.tables import DeliveryStatus

logger = logging.getLogger(__name__)


async def withdraw_pending_after_erasure(session: AsyncSession, *, services: Services) -> int:
    """Withdraw waiting digest parts (say, overnight in the quiet hours) that may quote the
    erased member and queue them again without them. Call after deleting the member, before
    commit.

    Each delivery is rendered again as it was asked for: a group post a coordinator requested
    with options (`anonym`, `jahrgang=`, `thema=`, `datei`) keeps them (they travel in the
    payload, read here before `withdraw` erases it), and an open round's digest stays marked
    as interim. A filtered digest that has nothing left is not sent again.

    Rows already claimed by the worker (status "sending") are not withdrawn: that send is
    under way and may still quote the member. The window is one HTTP call per chat and is
    accepted, not engineered around. Returns how many waiting messages were withdrawn.
    """
    waiting = await outbox_store.pending_with_prefix(session, prefix=DIGEST_PREFIX)
    if not waiting:
        return 0
    # One entry per (round, chat, selection); read before the payloads are erased.
    targets: dict[tuple[int, int, str], dict[str, Any]] = {}
    resume_at: dict[tuple[int, int, str], int] = {}
    for row in waiting:
        key = DigestPartKey.decode(row.purpose_key)
        if key is None:  # not a part this feature queued: withdrawn, not sent again
            continue
        stored = dict((row.payload or {}).get(OPTIONS_KEY) or {})
        target = (key.series.round_number, row.chat_id, json.dumps(stored, sort_keys=True))
        targets.setdefault(target, stored)
        first = await _first_part_to_resend(session, key=key)
        resume_at[target] = min(resume_at.get(target, first), first)
    await outbox_store.withdraw(
        session,
        ids=[row.id for row in waiting if row.id is not None],
        reason="withdrawn: a member erased their data; sent again without them",
    )
    stamp = services.clock.now().strftime("%Y%m%d%H%M%S%f")
    for index, ((number, chat_id, selection), stored) in enumerate(sorted(targets.items()), 1):
        round = await store.round_by_number(session, number=number)
        if round is None:
            continue
        options = DigestOptions(
            anonymous=bool(stored.get("anonymous")), files=bool(stored.get("files"))
        )
        loaded = await load_as_is(
            session, round=round, cohort_id=stored.get("cohort_id"), theme=stored.get("theme")
        )
        if chat_id < 0:  # a group (Telegram's group ids are negative): what all alumni see
            audience, language = Audience.ALUMNI, services.translate.default_language
        else:
            recipient = await member_store.get_member(session, telegram_id=chat_id)
            audience = Audience.COORDINATOR
            language = services.translate.language_for(recipient.language if recipient else None)
        rebuilt = build(services, loaded, options, audience)
        if rebuilt.answer_count == 0 and (loaded.cohort_id is not None or loaded.theme):
            continue  # the selection was about the erased member only
        await enqueue_parts(
            session,
            services=services,
            series=DigestSeries.reissue(number, stamp=stamp, index=index, chat_id=chat_id),
            chat_id=chat_id,
            messages=messages(services, rebuilt, language),
            files=files(services, rebuilt, language) if options.files else [],
            options=stored or None,
            from_part=resume_at[(number, chat_id, selection)],
        )
    wake_after_commit(session, services)
    logger.info("digest_withdrawn_after_erasure messages=%d chats=%d", len(waiting), len(targets))
    return len(waiting)


async def _first_part_to_resend(session: AsyncSession, *, key: DigestPartKey) -> int:
    """1, unless earlier parts of this delivery already reached the chat: then this part's
    number, so the chat does not get those parts twice (the rest comes re-rendered)."""
    delivered = {DeliveryStatus.SENT, DeliveryStatus.SENDING}
    prefix = key.series.parts_prefix()
    siblings = await outbox_store.messages_with_prefix(session, prefix=prefix)
    if any(sibling.status in delivered for sibling in siblings):
        return key.number
    return 1
