"""What a digest says, decided without Telegram or a database (rendering is `render`).

Visibility is applied here, once, for every output: an answer's author is shown only where the
member allowed it, coordinator-only answers only reach coordinators' private chats, anonymous
answers never name anyone and never appear under "Wer kann weiterhelfen?".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from storage.digests import AnswerRow, ParticipantRow, RoundRows
from storage.tables import RoundStatus, Visibility


class Audience(StrEnum):
    COORDINATOR = "coordinator"  # one coordinator's private chat: everything they may see
    ALUMNI = "alumni"  # the alumni group and the files: what every alumna/alumnus may see


@dataclass(frozen=True)
class Selection:
    """What the caller asked for, already resolved against the stored names."""

    audience: Audience
    anonymous: bool = False
    cohort_id: int | None = None
    theme: str | None = None  # a theme or a hashtag (as stored, without "#")


@dataclass(frozen=True, slots=True)
class Entry:
    name: str | None  # None: shown without name and region
    region: str | None
    text: str
    restricted: bool  # visible to coordinators only (marked in their digest)
    themes: Sequence[str] = ()
    hashtags: Sequence[str] = ()


@dataclass
class ThemeGroup:
    theme: str | None  # None: answers that touch no theme
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionBlock:
    position: int
    text_de: str
    text_en: str | None
    groups: list[ThemeGroup]


@dataclass(frozen=True, slots=True)
class ThemeCount:
    theme: str
    count: int
    previous: int | None  # None: there is no previous round to compare with


@dataclass(frozen=True, slots=True)
class Helper:
    name: str
    region: str | None
    restricted: bool


@dataclass(frozen=True, slots=True)
class MeetupNote:
    meetup_title: str
    name: str | None  # None: shown without name (an anonymous digest)
    region: str | None
    text: str


@dataclass(frozen=True, slots=True)
class CohortTurnout:
    name: str | None  # None: members without a cohort
    answered: int
    asked: int


@dataclass(frozen=True)
class Digest:
    round_number: int
    interim: bool
    opened_at: dt.datetime
    until: dt.datetime
    selection: Selection
    cohort_name: str | None
    answered: int
    asked: int
    turnout: list[CohortTurnout]
    previous_number: int | None
    overview: list[ThemeCount]
    questions: list[QuestionBlock]
    helpers: list[tuple[str, list[Helper]]]
    meetup_notes: list[MeetupNote] = field(default_factory=list)

    @property
    def answer_count(self) -> int:
        return sum(len(g.entries) for q in self.questions for g in q.groups)

    @property
    def has_restricted(self) -> bool:
        return any(e.restricted for q in self.questions for g in q.groups for e in g.entries)


@functools.cache
def effective_visibility(choice: str | None, default: str) -> Visibility:
    """The member's choice, else the default; anything unknown is treated most carefully."""
    try:
        return Visibility(choice or default)
    except ValueError:
        return Visibility.COORDINATORS


def build_digest(
    rows: RoundRows,
    selection: Selection,
    *,
    cohorts: dict[int, str],
    default_visibility: str,
    theme_order: Sequence[str] = (),
    previous: RoundRows | None = None,
) -> Digest:
    """Everything the digest shows, in the order it shows it."""
    visible = _visible_answers(rows.answers, selection, default_visibility)
    counts = _theme_counts(visible, selection)
    previous_counts = (
        _theme_counts(_visible_answers(previous.answers, selection, default_visibility), selection)
        if previous is not None
        else None
    )
    order = _theme_order(counts, previous_counts, theme_order)
    answered, asked, turnout = _turnout(rows, selection, cohorts)
    return Digest(
        round_number=rows.number,
        interim=rows.status == RoundStatus.OPEN,
        opened_at=rows.opened_at,
        until=rows.closed_at or rows.closes_at,
        selection=selection,
        cohort_name=cohorts.get(selection.cohort_id) if selection.cohort_id else None,
        answered=answered,
        asked=asked,
        turnout=turnout,
        previous_number=previous.number if previous is not None else None,
        overview=[
            ThemeCount(
                theme,
                counts.get(theme, 0),
                None if previous_counts is None else previous_counts.get(theme, 0),
            )
            for theme in order
        ],
        questions=_questions(rows, visible, selection, default_visibility, order),
        helpers=_helpers(visible, selection, default_visibility, order),
        meetup_notes=_meetup_notes(rows, selection),
    )


def _meetup_notes(rows: RoundRows, selection: Selection) -> list[MeetupNote]:
    """What members took away from a meetup; they were told it appears here with their name."""
    notes = []
    for row in rows.meetup_notes:
        if selection.cohort_id is not None and row.cohort_id != selection.cohort_id:
            continue
        if selection.theme is not None and selection.theme not in row.themes:
            continue
        anonymous = selection.anonymous
        notes.append(
            MeetupNote(
                row.meetup_title,
                None if anonymous else row.name,
                None if anonymous else row.region,
                row.text,
            )
        )
    return notes


def _visible_answers(
    answers: Iterable[AnswerRow], selection: Selection, default_visibility: str
) -> list[AnswerRow]:
    """The answers this audience may read that match the cohort and theme filters."""
    result = []
    for answer in answers:
        if not answer.text.strip():
            continue
        if selection.cohort_id is not None and answer.cohort_id != selection.cohort_id:
            continue
        if selection.theme is not None and not _touches(answer, selection.theme):
            continue
        visibility = effective_visibility(answer.visibility, default_visibility)
        if visibility is Visibility.COORDINATORS and selection.audience is Audience.ALUMNI:
            continue
        result.append(answer)
    return result


def _touches(answer: AnswerRow, theme: str) -> bool:
    return theme in answer.themes or theme in answer.hashtags


def _theme_counts(answers: Sequence[AnswerRow], selection: Selection) -> Counter[str]:
    """How many answers touch each theme; the answers are already filtered."""
    if selection.theme is not None:
        # Filtered to one theme (or hashtag): the overview is about that one.
        return Counter({selection.theme: len(answers)}) if answers else Counter()
    counts: Counter[str] = Counter()
    for answer in answers:
        counts.update(set(answer.themes))
    return counts


def _theme_order(
    counts: Counter[str], previous: Counter[str] | None, lexicon: Sequence[str]
) -> list[str]:
    """Most answers first; ties in lexicon order; themes that fell to zero last."""
    rank = {theme: index for index, theme in enumerate(lexicon)}
    themes = set(counts) | {t for t, n in (previous or Counter()).items() if n}
    return sorted(themes, key=lambda t: (-counts.get(t, 0), rank.get(t, len(rank)), t.casefold()))


def _turnout(
    rows: RoundRows, selection: Selection, cohorts: dict[int, str]
) -> tuple[int, int, list[CohortTurnout]]:
    """Who was asked and who answered at least one question, overall and per cohort."""
    asked: dict[int, int | None] = {p.member_id: p.cohort_id for p in rows.participants}
    answered: set[int] = set()
    for answer in rows.answers:
        if answer.text.strip():
            answered.add(answer.member_id)
            asked.setdefault(answer.member_id, answer.cohort_id)  # answered without a record
    if selection.cohort_id is not None:
        asked = {m: c for m, c in asked.items() if c == selection.cohort_id}
    per_cohort: dict[int | None, list[int]] = {}
    for member_id, cohort_id in asked.items():
        tally = per_cohort.setdefault(cohort_id, [0, 0])
        tally[0] += member_id in answered
        tally[1] += 1
    turnout = [
        CohortTurnout(cohorts.get(cid) if cid is not None else None, done, total)
        for cid, (done, total) in per_cohort.items()
    ]
    turnout.sort(key=lambda t: (t.name is None, (t.name or "").casefold()))
    done = sum(1 for member_id in asked if member_id in answered)
    return done, len(asked), turnout


def _primary_theme(answer: AnswerRow, selection: Selection, rank: dict[str, int]) -> str | None:
    """Each answer is shown once, under the first of its themes in the overview's order."""
    if selection.theme is not None:
        return selection.theme
    if not answer.themes:
        return None
    return min(answer.themes, key=lambda t: rank.get(t, len(rank)))


def _entry(answer: AnswerRow, selection: Selection, default_visibility: str) -> Entry:
    visibility = effective_visibility(answer.visibility, default_visibility)
    named = not selection.anonymous and visibility is not Visibility.ANONYMOUS
    return Entry(
        name=answer.name if named else None,
        region=answer.region if named else None,
        text=answer.text,
        restricted=visibility is Visibility.COORDINATORS,
        themes=answer.themes,
        hashtags=answer.hashtags,
    )


def _questions(
    rows: RoundRows,
    answers: list[AnswerRow],
    selection: Selection,
    default_visibility: str,
    order: Sequence[str],
) -> list[QuestionBlock]:
    groups: dict[int, dict[str | None, ThemeGroup]] = {q.id: {} for q in rows.questions}
    rank = {theme: index for index, theme in enumerate(order)}
    for answer in answers:
        by_theme = groups.get(answer.question_id)
        if by_theme is None:
            continue
        theme = _primary_theme(answer, selection, rank)
        group = by_theme.get(theme)
        if group is None:
            group = by_theme[theme] = ThemeGroup(theme)
        group.entries.append(_entry(answer, selection, default_visibility))
    return [
        QuestionBlock(
            q.position,
            q.text_de,
            q.text_en,
            sorted(
                groups[q.id].values(),
                key=lambda g: len(rank) + 1 if g.theme is None else rank.get(g.theme, len(rank)),
            ),
        )
        for q in rows.questions
    ]


def _helpers(
    answers: list[AnswerRow], selection: Selection, default_visibility: str, order: Sequence[str]
) -> list[tuple[str, list[Helper]]]:
    """Per theme, the members who wrote about it and allowed their name to be shown."""
    if selection.anonymous:
        return []
    people: dict[str, dict[int, Helper]] = {}
    for answer in answers:
        visibility = effective_visibility(answer.visibility, default_visibility)
        if visibility is Visibility.ANONYMOUS:
            continue
        helper = Helper(answer.name, answer.region, visibility is Visibility.COORDINATORS)
        themes = [selection.theme] if selection.theme is not None else answer.themes
        for theme in themes:
            people.setdefault(theme, {}).setdefault(answer.member_id, helper)
    return [
        (theme, sorted(people[theme].values(), key=lambda h: h.name.casefold()))
        for theme in order
        if theme in people
    ]


__all__ = ["Audience", "Digest", "ParticipantRow", "Selection", "build_digest"]
