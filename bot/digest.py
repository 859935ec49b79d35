"""Digests of a round: on demand (`/digest`) and scheduled when a round closes.

Building and rendering are pure (`digest_model`, `digest_render`); this module loads a round,
resolves what the coordinator asked for, and hands group posts and scheduled digests to the
outbox, one row per part (`<prefix>:part:<i>`); the outbox sends a chat's rows in queue order,
so the parts arrive as 1, 2, 3.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest_model import Audience, Digest, Selection, build_digest
from bot.digest_options import (
    FLAGS,
    DigestOptions,
    OptionError,
    match_name,
    parse_options,
    tokens,
)
from bot.digest_render import render_csv, render_markdown, render_messages
from bot.outbox import document_payload, message_payload
from bot.services import Services
from bot.themes import lexicon_for
from storage import chats as chat_store
from storage import digests as store
from storage import members as member_store
from storage import outbox as outbox_store
from storage import rounds as round_store
from storage.digests import RoundRows
from storage.tables import DeliveryStatus, Round, RoundStatus

logger = logging.getLogger(__name__)

# The payload entry that keeps a request's selection with each queued part (see enqueue_parts).
OPTIONS_KEY = "digest_options"


@dataclass(frozen=True)
class DigestFile:
    filename: str
    content: bytes
    caption: str


@dataclass
class Outcome:
    """What to answer the coordinator who asked: the digest itself, files, a confirmation."""

    messages: list[str] = field(default_factory=list)
    files: list[DigestFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Loaded:
    rows: RoundRows
    previous: RoundRows | None
    cohorts: dict[int, str]
    cohort_id: int | None
    theme: str | None


# ------------------------------------------------------------------------------ on demand


async def on_demand(
    services: Services,
    *,
    text: str,
    language: str,
    request_key: str,
    group_chat_id: int | None = None,
) -> Outcome:
    """Answer `/digest <text>`; raises OptionError (with a friendly catalog key) on bad input.

    `request_key` identifies the coordinator's command message, so a redelivered update posts
    to the group at most once while a deliberate second request posts again.

    `group_chat_id`: the command was sent in that group chat. There only `gruppe` in the linked
    alumni group itself is done (the version all alumni may see, through the outbox, nothing
    in the answer); anything else is refused with a pointer to the private chat, which never
    sends the coordinator back here.
    """
    try:
        options = parse_options(text)
    except OptionError:
        if group_chat_id is not None and "group" not in {
            FLAGS.get(t.casefold()) for t in tokens(text)
        }:
            raise OptionError("digest.error.private_only") from None
        raise  # explained; in a group only to someone who meant `gruppe`
    if group_chat_id is not None and not options.group:
        raise OptionError("digest.error.private_only")
    async with services.db.session() as session:
        group = await chat_store.alumni_group(session) if options.group else None
        if options.group and group is None:
            raise OptionError("digest.error.no_group")
        if group_chat_id is not None and (group is None or group.telegram_id != group_chat_id):
            raise OptionError("digest.error.private_only")
        loaded = await load(session, services=services, options=options)
    outcome = Outcome()
    if group is None:
        private = _build(services, loaded, options, Audience.COORDINATOR)
        outcome.messages = _messages(services, private, language)
        if options.files:
            outcome.files = _files(
                services, _build(services, loaded, options, Audience.ALUMNI), language
            )
            outcome.notes.append(str(services.translate(language, "digest.files_note")))
        return outcome
    public = _build(services, loaded, options, Audience.ALUMNI)
    group_language = services.translate.default_language
    messages = _messages(services, public, group_language)
    files = _files(services, public, group_language) if options.files else []
    async with services.db.write() as session:
        await enqueue_parts(
            session,
            services=services,
            prefix=f"digest:round:{loaded.rows.number}:request:{request_key}:group",
            chat_id=group.telegram_id,
            messages=messages,
            files=files,
            respect_quiet_hours=False,  # a coordinator asked for it just now
            options=_stored_options(options, loaded),
        )
        await session.commit()
    services.outbox.wake()
    if group_chat_id is not None:
        return outcome  # the post itself is the answer there
    outcome.notes.append(
        str(
            services.translate(
                language,
                "digest.group_queued",
                number=loaded.rows.number,
                title=group.title or "",
                parts=len(messages) + len(files),
            )
        )
    )
    return outcome


async def load(session: AsyncSession, *, services: Services, options: DigestOptions) -> Loaded:
    """The round the options name (default: the newest) and its neighbour, filters resolved."""
    round = await _pick_round(session, options.round_number)
    rows = await store.load_round(session, round=round)
    before = await store.previous_round(session, number=round.number)
    previous = await store.load_round(session, round=before) if before is not None else None
    cohorts = await store.cohort_names(session)
    cohort_id = _resolve_cohort(options.cohort, cohorts) if options.cohort else None
    theme = _resolve_theme(services, options.theme, rows) if options.theme else None
    return Loaded(rows, previous, cohorts, cohort_id, theme)


async def _pick_round(session: AsyncSession, number: int | None) -> Round:
    round = (
        await round_store.latest_round(session)
        if number is None
        else await store.round_by_number(session, number=number)
    )
    if round is not None:
        return round
    numbers = await store.round_numbers(session)
    if not numbers:
        raise OptionError("digest.error.no_rounds")
    raise OptionError(
        "digest.error.unknown_round",
        {"number": number, "numbers": _listing(map(str, numbers)), "latest": numbers[-1]},
    )


def _resolve_cohort(typed: str, cohorts: dict[int, str]) -> int:
    if not cohorts:
        raise OptionError("digest.error.no_cohorts")
    found = match_name(typed, cohorts.values())
    if isinstance(found, str):
        return next(cid for cid, name in cohorts.items() if name == found)
    if found:
        raise OptionError("digest.error.ambiguous", {"value": typed, "choices": _listing(found)})
    raise OptionError(
        "digest.error.unknown_cohort", {"cohort": typed, "cohorts": _listing(cohorts.values())}
    )


def _resolve_theme(services: Services, typed: str, rows: RoundRows) -> str:
    """A theme of the lexicon or of this round's answers, or one of the round's hashtags."""
    themes = list(_lexicon(services))
    for answer in rows.answers:
        themes.extend(t for t in answer.themes if t not in themes)
    tags = {tag for answer in rows.answers for tag in answer.hashtags}
    candidates = themes + sorted(tags - set(themes))
    found = match_name(typed, candidates)
    if isinstance(found, str):
        return found
    if found:
        raise OptionError("digest.error.ambiguous", {"value": typed, "choices": _listing(found)})
    present = [t for t in themes if any(t in a.themes for a in rows.answers)] or themes
    raise OptionError(
        "digest.error.unknown_theme",
        {"theme": typed, "number": rows.number, "themes": _listing(present)},
    )


def _listing(names: Iterable[str]) -> Markup:
    """Names for an error text, each escaped (they may come from members)."""
    return Markup(", ").join(names)


# ------------------------------------------------------------------------------ building


def _lexicon(services: Services) -> list[str]:
    return lexicon_for(services.settings.checkin_themes_file).themes


def _build(
    services: Services, loaded: Loaded, options: DigestOptions, audience: Audience
) -> Digest:
    selection = Selection(
        audience=audience,
        anonymous=options.anonymous,
        cohort_id=loaded.cohort_id,
        theme=loaded.theme,
    )
    return build_digest(
        loaded.rows,
        selection,
        cohorts=loaded.cohorts,
        default_visibility=services.settings.checkin_default_visibility,
        theme_order=_lexicon(services),
        previous=loaded.previous,
    )


def _messages(services: Services, digest: Digest, language: str) -> list[str]:
    return render_messages(
        digest, translate=services.translate, language=language, tz=services.settings.tz
    )


def _files(services: Services, digest: Digest, language: str) -> list[DigestFile]:
    translate = services.translate
    number = digest.round_number
    base = str(translate(language, "digest.file.name", number=number))
    return [
        DigestFile(
            f"{base}.md",
            render_markdown(
                digest, translate=translate, language=language, tz=services.settings.tz
            ).encode("utf-8"),
            str(translate(language, "digest.file.caption_md", number=number)),
        ),
        DigestFile(
            f"{base}.csv",
            render_csv(digest, translate=translate, language=language),
            str(translate(language, "digest.file.caption_csv", number=number)),
        ),
    ]


# ------------------------------------------------------------------------------ delivery


async def enqueue_parts(
    session: AsyncSession,
    *,
    services: Services,
    prefix: str,
    chat_id: int,
    messages: list[str],
    files: Sequence[DigestFile] = (),
    respect_quiet_hours: bool = True,
    options: dict[str, Any] | None = None,
    from_part: int = 1,
) -> int:
    """Queue a digest's messages (and files) as `<prefix>:part:<i>`; returns how many were new.

    `options` (see `_stored_options`) go into every part's payload, so a withdrawal can render
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
            key=f"{prefix}:part:{index}",
            chat_id=chat_id,
            payload=payload,
            method=method,
            respect_quiet_hours=respect_quiet_hours,
        )
    return queued


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
    loaded = await _load_closed(session, round=round, now=services.clock.now())
    prefix = f"digest:round:{round.number}"
    group = await chat_store.alumni_group(session)
    if group is not None:
        public = _build(services, loaded, DigestOptions(), Audience.ALUMNI)
        await enqueue_parts(
            session,
            services=services,
            prefix=f"{prefix}:group",
            chat_id=group.telegram_id,
            messages=_messages(services, public, services.translate.default_language),
        )
    await _enqueue_for_coordinators(session, services=services, loaded=loaded, prefix=prefix)
    # The caller commits; wake the outbox then, not before (it would find nothing yet).
    event.listen(session.sync_session, "after_commit", lambda _: services.outbox.wake(), once=True)
    logger.info("digest_scheduled round=%s group=%s", round.number, group is not None)


async def _load_closed(session: AsyncSession, *, round: Round, now: dt.datetime) -> Loaded:
    rows = dataclasses.replace(
        await store.load_round(session, round=round),
        status=RoundStatus.CLOSED,
        closed_at=round.closed_at or now,
    )
    before = await store.previous_round(session, number=round.number)
    previous = await store.load_round(session, round=before) if before is not None else None
    return Loaded(rows, previous, await store.cohort_names(session), None, None)


async def withdraw_pending_after_erasure(session: AsyncSession, *, services: Services) -> int:
    """A member erased their data: digests still waiting in the outbox (say, overnight in the
    quiet hours) may quote them. Those deliveries are withdrawn and the same chats get the
    digest rendered again without the member. Call after deleting the member, before commit.

    Each delivery is rendered again as it was asked for: a group post a coordinator requested
    with options (`anonym`, `jahrgang=`, `thema=`, `datei`) keeps them (they travel in the
    payload, read here before `withdraw` erases it), and an open round's digest stays marked
    as interim. A filtered digest that has nothing left is not sent again.

    Rows already claimed by the worker (status "sending") are not withdrawn: that send is
    under way and may still quote the member. The window is one HTTP call per chat and is
    accepted, not engineered around. Returns how many waiting messages were withdrawn.
    """
    waiting = await outbox_store.pending_with_prefix(session, prefix="digest:round:")
    if not waiting:
        return 0
    # One entry per (round, chat, selection); read before the payloads are erased.
    targets: dict[tuple[int, int, str], dict[str, Any]] = {}
    resume_at: dict[tuple[int, int, str], int] = {}
    for row in waiting:
        stored = dict((row.payload or {}).get(OPTIONS_KEY) or {})
        number = int(row.purpose_key.split(":")[2])
        target = (number, row.chat_id, json.dumps(stored, sort_keys=True))
        targets.setdefault(target, stored)
        first = await _first_part_to_resend(session, key=row.purpose_key)
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
        loaded = await _load_as_is(
            session, round=round, cohort_id=stored.get("cohort_id"), theme=stored.get("theme")
        )
        if chat_id < 0:  # a group (Telegram's group ids are negative): what all alumni see
            audience, language = Audience.ALUMNI, services.translate.default_language
        else:
            recipient = await member_store.get_member(session, telegram_id=chat_id)
            audience = Audience.COORDINATOR
            language = services.translate.language_for(recipient.language if recipient else None)
        rebuilt = _build(services, loaded, options, audience)
        if rebuilt.answer_count == 0 and (loaded.cohort_id is not None or loaded.theme):
            continue  # the selection was about the erased member only
        await enqueue_parts(
            session,
            services=services,
            prefix=f"digest:round:{number}:reissue:{stamp}:{index}:chat:{chat_id}",
            chat_id=chat_id,
            messages=_messages(services, rebuilt, language),
            files=_files(services, rebuilt, language) if options.files else [],
            options=stored or None,
            from_part=resume_at[(number, chat_id, selection)],
        )
    event.listen(session.sync_session, "after_commit", lambda _: services.outbox.wake(), once=True)
    logger.info("digest_withdrawn_after_erasure messages=%d chats=%d", len(waiting), len(targets))
    return len(waiting)


async def _first_part_to_resend(session: AsyncSession, *, key: str) -> int:
    """1, unless earlier parts of this delivery already reached the chat: then this part's
    number, so the chat does not get those parts twice (the rest comes re-rendered)."""
    series, _, index = key.rpartition(":part:")
    delivered = {DeliveryStatus.SENT, DeliveryStatus.SENDING}
    siblings = await outbox_store.messages_with_prefix(session, prefix=f"{series}:part:")
    if any(sibling.status in delivered for sibling in siblings):
        return int(index)
    return 1


def _stored_options(options: DigestOptions, loaded: Loaded) -> dict[str, Any]:
    """What a request selected, resolved (cohort id, theme name), to be stored with its parts."""
    return {
        "anonymous": options.anonymous,
        "cohort_id": loaded.cohort_id,
        "theme": loaded.theme,
        "files": options.files,
    }


async def _load_as_is(
    session: AsyncSession, *, round: Round, cohort_id: int | None, theme: str | None
) -> Loaded:
    """The round with its real status (an open round's digest stays an interim one)."""
    rows = await store.load_round(session, round=round)
    before = await store.previous_round(session, number=round.number)
    previous = await store.load_round(session, round=before) if before is not None else None
    return Loaded(rows, previous, await store.cohort_names(session), cohort_id, theme)


async def _enqueue_for_coordinators(
    session: AsyncSession, *, services: Services, loaded: Loaded, prefix: str
) -> None:
    private = _build(services, loaded, DigestOptions(), Audience.COORDINATOR)
    rendered: dict[str, list[str]] = {}
    recipients = await store.coordinators(session, bootstrap_ids=services.settings.coordinator_ids)
    for recipient in recipients:
        language = services.translate.language_for(recipient.language)
        if language not in rendered:
            rendered[language] = _messages(services, private, language)
        await enqueue_parts(
            session,
            services=services,
            prefix=f"{prefix}:coordinator:{recipient.telegram_id}",
            chat_id=recipient.telegram_id,
            messages=rendered[language],
        )
