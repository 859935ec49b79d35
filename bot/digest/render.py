"""Render a built digest: Telegram HTML sections, a Markdown document, a CSV table.

HTML and Markdown share one layout and differ only in a `Style` (how to escape, emphasise and
head a section). Every tag opens and closes on the same line, so `split_message` may cut at any
line boundary. User text (answers, names, regions, cohort and theme names, questions) is always
escaped for the target format; CSV cells that a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from babel.dates import format_date
from markupsafe import Markup, escape

from bot.digest.model import Audience, Digest, Entry, Helper, QuestionBlock, ThemeCount
from bot.i18n import Translator
from bot.paging import split_message

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_MD_LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])(\s)")
_SPACES = re.compile(r"\s+")
_CSV_FORMULA = ("=", "+", "-", "@", "\t", "\r")
HELPERS_PER_LINE = 10


class Style(Protocol):
    @property
    def bullet(self) -> str: ...

    def text(self, value: str) -> str: ...
    def bold(self, value: str) -> str: ...
    def italic(self, value: str) -> str: ...
    def heading(self, value: str, level: int) -> str: ...
    def label(self, key: str, **params: object) -> str: ...


@dataclass(frozen=True)
class HtmlStyle:
    translate: Translator
    language: str
    bullet: str = "• "

    def text(self, value: str) -> str:
        return str(escape(value))

    def bold(self, value: str) -> str:
        return f"<b>{value}</b>"

    def italic(self, value: str) -> str:
        return f"<i>{value}</i>"

    def heading(self, value: str, level: int) -> str:
        return self.bold(value)

    def label(self, key: str, **params: object) -> str:
        return str(self.translate(self.language, key, **params))


@dataclass(frozen=True)
class MarkdownStyle:
    translate: Translator
    language: str
    bullet: str = "- "

    def text(self, value: str) -> str:
        return _MD_LINE_START.sub(r"\1\\\2\3", _MD_SPECIAL.sub(r"\\\1", value))

    def bold(self, value: str) -> str:
        return f"**{value}**"

    def italic(self, value: str) -> str:
        return f"_{value}_"

    def heading(self, value: str, level: int) -> str:
        return f"{'#' * level} {value}"

    def label(self, key: str, **params: object) -> str:
        # Markup params are inserted as they are, so user text gets Markdown escaping only;
        # the catalogs use <b>/<i> for emphasis, which becomes Markdown here.
        safe = {
            k: Markup(self.text(v)) if isinstance(v, str) and not isinstance(v, Markup) else v
            for k, v in params.items()
        }
        html = str(self.translate(self.language, key, **safe))
        return (
            html.replace("<b>", "**").replace("</b>", "**").replace("<i>", "_").replace("</i>", "_")
        )


def one_line(value: str) -> str:
    """Names and headings stay on one line, so no tag ever spans a line break."""
    return _SPACES.sub(" ", value).strip()


# ------------------------------------------------------------------------------------ layout


class Layout:
    """The digest's sections (blank-line separated blocks) in a given style."""

    def __init__(self, digest: Digest, style: Style, *, language: str, tz: ZoneInfo) -> None:
        self.digest, self.style, self.language, self.tz = digest, style, language, tz

    def sections(self) -> list[str]:
        digest = self.digest
        sections = [self.header()]
        if digest.answer_count == 0:
            key = "digest.empty" if self._unfiltered() else "digest.empty_filtered"
            return [*sections, self.style.label(key)]
        sections.append(self.overview())
        for block in digest.questions:
            sections.extend(self.question(block))
        if digest.meetup_notes:
            sections.append(self.meetup_notes())
        if digest.helpers:
            sections.append(self.helpers())
        return sections

    def _unfiltered(self) -> bool:
        selection = self.digest.selection
        return selection.cohort_id is None and selection.theme is None

    def _date(self, moment: dt.datetime) -> str:
        return format_date(moment.astimezone(self.tz).date(), format="medium", locale=self.language)

    def header(self) -> str:
        d, s = self.digest, self.style
        lines = [s.heading(s.label("digest.title", number=d.round_number), 1)]
        if d.interim:
            lines.append(s.label("digest.interim", until=self._date(d.until)))
        lines.append(
            s.label("digest.period", start=self._date(d.opened_at), end=self._date(d.until))
        )
        filters = self._filters()
        if filters:
            lines.append(s.label("digest.filters", filters=Markup(", ".join(filters))))
        lines.append(s.label("digest.turnout", answered=d.answered, asked=d.asked))
        if len(d.turnout) > 1 or (d.turnout and d.turnout[0].name is None):
            lines.extend(
                s.bullet
                + s.label(
                    "digest.turnout_cohort",
                    cohort=one_line(t.name) if t.name else Markup(s.label("digest.no_cohort")),
                    answered=t.answered,
                    asked=t.asked,
                )
                for t in d.turnout
            )
        if d.selection.audience is Audience.COORDINATOR and d.has_restricted:
            lines.append(s.label("digest.restricted_note"))
        return "\n".join(lines)

    def _filters(self) -> list[str]:
        d, s = self.digest, self.style
        filters = []
        if d.cohort_name:
            filters.append(s.label("digest.filter.cohort", cohort=one_line(d.cohort_name)))
        if d.selection.theme:
            filters.append(s.label("digest.filter.theme", theme=one_line(d.selection.theme)))
        if d.selection.anonymous:
            filters.append(s.label("digest.filter.anonymous"))
        return filters

    def overview(self) -> str:
        d, s = self.digest, self.style
        if d.previous_number is None:
            title = s.label("digest.overview.title")
        else:
            title = s.label("digest.overview.title_compared", previous=d.previous_number)
        lines = [s.heading(title, 2)]
        lines.extend(
            s.bullet
            + s.label("digest.overview.line", theme=one_line(c.theme), count=c.count)
            + self._trend(c)
            for c in d.overview
        )
        if not d.overview:
            lines.append(s.label("digest.overview.none"))
        return "\n".join(lines)

    def _trend(self, count: ThemeCount) -> str:
        if count.previous is None:
            return ""
        change = count.count - count.previous
        if count.previous == 0:
            return f" ({self.style.label('digest.trend.new')})"
        if change > 0:
            return f" (▲ +{change})"
        if change < 0:
            return f" (▼ −{-change})"
        return " (=)"

    def question(self, block: QuestionBlock) -> list[str]:
        s = self.style
        text = block.text_en if self.language == "en" and block.text_en else block.text_de
        title = s.heading(s.text(f"{block.position}. {one_line(text)}"), 2)
        if not block.groups:
            if not self._unfiltered():
                return []  # nothing matches the selection here; no need to say so per question
            return [f"{title}\n{s.label('digest.question.no_answers')}"]
        sections = []
        for index, group in enumerate(block.groups):
            theme = one_line(group.theme) if group.theme else s.label("digest.theme.other")
            lines = [title] if index == 0 else []
            lines.append(s.heading(s.italic(s.text(theme) if group.theme else theme), 3))
            lines.extend(self.entry(entry) for entry in group.entries)
            sections.append("\n".join(lines))
        return sections

    def entry(self, entry: Entry) -> str:
        s = self.style
        lock = "🔒 " if entry.restricted and self._coordinators() else ""
        if entry.name is None:
            author = lock + s.italic(s.label("digest.anonymous_author"))
        else:
            author = lock + s.bold(s.text(one_line(entry.name) or "?"))
            if entry.region:
                author += f" ({s.text(one_line(entry.region))})"
        lines = [line.strip() for line in entry.text.splitlines() if line.strip()]
        first, rest = (lines[0], lines[1:]) if lines else ("", [])
        body = [f"{s.bullet}{author}: {s.text(first)}"]
        body.extend(f"  {s.text(line)}" for line in rest)
        return "\n".join(body)

    def meetup_notes(self) -> str:
        s = self.style
        lines = [s.heading(s.label("digest.meetups.title"), 2)]
        for note in self.digest.meetup_notes:
            if note.name is None:
                author = s.italic(s.label("digest.anonymous_author"))
            else:
                author = s.bold(s.text(one_line(note.name) or "?"))
                if note.region:
                    author += f" ({s.text(one_line(note.region))})"
            meetup = s.text(one_line(note.meetup_title))
            lines.append(f"{s.bullet}{author}, {meetup}: {s.text(one_line(note.text))}")
        return "\n".join(lines)

    def _coordinators(self) -> bool:
        return self.digest.selection.audience is Audience.COORDINATOR

    def helpers(self) -> str:
        s = self.style
        lines = [s.heading(s.label("digest.helpers.title"), 2), s.label("digest.helpers.intro")]
        for theme, people in self.digest.helpers:
            lines.append(s.heading(s.italic(s.text(one_line(theme))), 3))
            names = [self._helper(person) for person in people]
            # A few names per line: short lines split cheaply and never need a hard wrap.
            lines.extend(
                ", ".join(names[start : start + HELPERS_PER_LINE])
                + ("," if start + HELPERS_PER_LINE < len(names) else "")
                for start in range(0, len(names), HELPERS_PER_LINE)
            )
        return "\n".join(lines)

    def _helper(self, person: Helper) -> str:
        s = self.style
        text = s.text(one_line(person.name) or "?")
        if person.region:
            text += f" ({s.text(one_line(person.region))})"
        return ("🔒 " if person.restricted and self._coordinators() else "") + text


# ------------------------------------------------------------------------------------ outputs


def render_messages(
    digest: Digest, *, translate: Translator, language: str, tz: ZoneInfo
) -> list[str]:
    """Telegram messages of at most 4096 characters, numbered "(1/3)" when there are several."""
    style = HtmlStyle(translate, language)
    return split_message(Layout(digest, style, language=language, tz=tz).sections())


def render_markdown(digest: Digest, *, translate: Translator, language: str, tz: ZoneInfo) -> str:
    style = MarkdownStyle(translate, language)
    return "\n\n".join(Layout(digest, style, language=language, tz=tz).sections()) + "\n"


CSV_COLUMNS = ("round", "question_no", "question", "theme", "themes", "hashtags", "name",
               "region", "answer")  # fmt: skip


def render_csv(digest: Digest, *, translate: Translator, language: str) -> bytes:
    """One row per answer; UTF-8 with BOM and `;` so German Excel opens it as a table."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(translate(language, f"digest.csv.{column}")) for column in CSV_COLUMNS])
    other = str(translate(language, "digest.theme.other"))
    anonymous = str(translate(language, "digest.anonymous_author"))
    for block in digest.questions:
        question = block.text_en if language == "en" and block.text_en else block.text_de
        for group in block.groups:
            for entry in group.entries:
                row: list[object] = [
                    digest.round_number,
                    block.position,
                    question,
                    group.theme or other,
                    ", ".join(entry.themes),
                    " ".join(f"#{tag}" for tag in entry.hashtags),
                    entry.name if entry.name is not None else anonymous,
                    entry.region or "",
                    entry.text,
                ]
                writer.writerow([_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_CSV_FORMULA):
        return "'" + value  # a spreadsheet would otherwise run "=HYPERLINK(...)" as a formula
    return value
