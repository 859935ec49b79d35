"""Loading a round for a digest, resolving what was asked for, and building what each
audience sees (messages and files); no transaction of its own, nothing sent."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.model import Audience, Digest, Selection, build_digest
from bot.digest.options import DigestOptions, OptionError, match_name
from bot.digest.render import render_csv, render_markdown, render_messages
from bot.services import Services
from bot.themes import lexicon_for
from storage import digests as store
from storage import rounds as round_store
from storage.digests import RoundRows
from storage.tables import Round, RoundStatus


@dataclass(frozen=True)
class DigestFile:
    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class Loaded:
    rows: RoundRows
    previous: RoundRows | None
    cohorts: dict[int, str]
    cohort_id: int | None
    theme: str | None


# ------------------------------------------------------------------------------ loading


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


async def load_closed(session: AsyncSession, *, round: Round, now: dt.datetime) -> Loaded:
    """The round as closed now, within the transaction that closes it."""
    rows = dataclasses.replace(
        await store.load_round(session, round=round),
        status=RoundStatus.CLOSED,
        closed_at=round.closed_at or now,
    )
    before = await store.previous_round(session, number=round.number)
    previous = await store.load_round(session, round=before) if before is not None else None
    return Loaded(rows, previous, await store.cohort_names(session), None, None)


async def load_as_is(
    session: AsyncSession, *, round: Round, cohort_id: int | None, theme: str | None
) -> Loaded:
    """The round with its real status (an open round's digest stays an interim one)."""
    rows = await store.load_round(session, round=round)
    before = await store.previous_round(session, number=round.number)
    previous = await store.load_round(session, round=before) if before is not None else None
    return Loaded(rows, previous, await store.cohort_names(session), cohort_id, theme)


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


def build(services: Services, loaded: Loaded, options: DigestOptions, audience: Audience) -> Digest:
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


def messages(services: Services, digest: Digest, language: str) -> list[str]:
    return render_messages(
        digest, translate=services.translate, language=language, tz=services.settings.tz
    )


def files(services: Services, digest: Digest, language: str) -> list[DigestFile]:
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
