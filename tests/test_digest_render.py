"""The digest's pure parts: options, building with visibility, rendering (no Telegram)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from bot.digest.model import Audience, Selection, build_digest, effective_visibility
from bot.digest.options import DigestOptions, OptionError, match_name, parse_options, tokens
from bot.digest.render import render_csv, render_markdown, render_messages
from bot.i18n import Translator
from sandbox.telegram_html import parse_html, utf16_length
from storage.digests import AnswerRow, ParticipantRow, QuestionRow, RoundRows
from storage.tables import Visibility

TZ = ZoneInfo("Europe/Berlin")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TRANSLATE = Translator.load("de")


def answer(
    member_id: int,
    text: str,
    themes: tuple[str, ...] = (),
    *,
    question_id: int = 1,
    visibility: str | None = None,
    cohort_id: int | None = 1,
    name: str | None = None,
    hashtags: tuple[str, ...] = (),
) -> AnswerRow:
    return AnswerRow(
        question_id=question_id,
        member_id=member_id,
        name=name or f"Person {member_id}",
        region=f"Region {member_id}",
        cohort_id=cohort_id,
        text=text,
        themes=themes,
        hashtags=hashtags,
        visibility=visibility,
    )


def round_rows(
    answers: list[AnswerRow],
    *,
    number: int = 2,
    status: str = "closed",
    participants: list[ParticipantRow] | None = None,
) -> RoundRows:
    return RoundRows(
        number=number,
        status=status,
        opened_at=START,
        closes_at=START + dt.timedelta(days=14),
        closed_at=START + dt.timedelta(days=14) if status == "closed" else None,
        questions=[
            QuestionRow(1, 1, "Was beschäftigt dich?", "What occupies you?"),
            QuestionRow(2, 2, "Wo brauchst du Input?", None),
        ],
        answers=answers,
        participants=participants or [],
    )


def html_messages(rows: RoundRows, selection: Selection, **kwargs: object) -> list[str]:
    digest = build_digest(
        rows,
        selection,
        cohorts={1: "Jahrgang 2022", 2: "Jahrgang 2023"},
        default_visibility="all",
        **kwargs,
    )  # type: ignore[arg-type]
    return render_messages(digest, translate=TRANSLATE, language="de", tz=TZ)


# ------------------------------------------------------------------------------ options


def test_options_in_any_order_with_quotes() -> None:
    assert parse_options('datei thema="Social Media" 3 ANONYM jahrgang=2022 gruppe') == (
        DigestOptions(
            round_number=3,
            anonymous=True,
            cohort="2022",
            theme="Social Media",
            group=True,
            files=True,
        )
    )
    assert parse_options("") == DigestOptions()
    assert parse_options("thema=„Mädchen & MINT“ runde=2").theme == "Mädchen & MINT"
    assert tokens('a  thema="x y"  b') == ["a", "thema=x y", "b"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("vielleicht", "digest.error.unknown_option"),
        ("jahrgang=", "digest.error.empty_value"),
        ("runde=0", "digest.error.bad_round"),
        ("²", "digest.error.bad_round"),  # "²".isdigit() is True, int("²") fails
        ("runde=٣", "digest.error.bad_round"),
        ("99999999999999999999", "digest.error.bad_round"),  # more than SQLite's integers
        ("3 4", "digest.error.twice"),
        ("thema=a thema=b", "digest.error.twice"),
        ("hilfe", "digest.usage"),
    ],
)
def test_bad_options_name_the_explanation(text: str, key: str) -> None:
    with pytest.raises(OptionError) as raised:
        parse_options(text)
    assert raised.value.key == key


def test_names_match_exactly_by_beginning_or_by_a_unique_part() -> None:
    names = ["Jahrgang 2022", "Jahrgang 2023", "Social Media", "Mädchen & MINT"]
    assert match_name("social media", names) == "Social Media"
    assert match_name("SocialMedia", names) == "Social Media"
    assert match_name("mädchen", names) == "Mädchen & MINT"
    assert match_name("2023", names) == "Jahrgang 2023"
    assert match_name("jahrgang", names) == ["Jahrgang 2022", "Jahrgang 2023"]
    assert match_name("raumfahrt", names) == []
    assert match_name("#Social", names) == "Social Media"


# ------------------------------------------------------------------------------ building


def test_visibility_decides_what_each_audience_sees() -> None:
    rows = round_rows(
        [
            answer(1, "offen", ("A",), visibility="all"),
            answer(2, "intern", ("A",), visibility="coordinators"),
            answer(3, "ohne Namen", ("A",), visibility="anonymous"),
            answer(4, "Standard", ("A",), visibility=None),
        ]
    )
    kwargs = {"cohorts": {}, "default_visibility": "all"}
    coordinators = build_digest(rows, Selection(Audience.COORDINATOR), **kwargs)  # type: ignore[arg-type]
    alumni = build_digest(rows, Selection(Audience.ALUMNI), **kwargs)  # type: ignore[arg-type]

    entries = coordinators.questions[0].groups[0].entries
    assert [(e.name, e.text, e.restricted) for e in entries] == [
        ("Person 1", "offen", False),
        ("Person 2", "intern", True),
        (None, "ohne Namen", False),
        ("Person 4", "Standard", False),
    ]
    assert [h.name for h in coordinators.helpers[0][1]] == ["Person 1", "Person 2", "Person 4"]
    assert [e.text for e in alumni.questions[0].groups[0].entries] == [
        "offen",
        "ohne Namen",
        "Standard",
    ]
    assert [h.name for h in alumni.helpers[0][1]] == ["Person 1", "Person 4"]
    assert alumni.overview[0].count == 3 and coordinators.overview[0].count == 4


def test_default_and_unknown_visibility() -> None:
    assert effective_visibility(None, "anonymous") is Visibility.ANONYMOUS
    assert effective_visibility("all", "anonymous") is Visibility.ALL
    assert effective_visibility("something-new", "all") is Visibility.COORDINATORS
    rows = round_rows([answer(1, "text", ("A",))])
    digest = build_digest(
        rows, Selection(Audience.ALUMNI), cohorts={}, default_visibility="anonymous"
    )
    assert digest.questions[0].groups[0].entries[0].name is None
    assert digest.helpers == []


def test_each_answer_once_under_its_leading_theme_with_trends() -> None:
    previous = round_rows([answer(1, "x", ("A",)), answer(2, "y", ("C",))], number=1)
    rows = round_rows(
        [
            answer(1, "ab", ("A", "B")),
            answer(2, "b", ("B",)),
            answer(3, "b2", ("B",)),
            answer(4, "nichts"),
        ]
    )
    digest = build_digest(
        rows,
        Selection(Audience.COORDINATOR),
        cohorts={},
        default_visibility="all",
        previous=previous,
    )

    assert [(c.theme, c.count, c.previous) for c in digest.overview] == [
        ("B", 3, 0),
        ("A", 1, 1),
        ("C", 0, 1),
    ]
    groups = digest.questions[0].groups
    assert [(g.theme, [e.text for e in g.entries]) for g in groups] == [
        ("B", ["ab", "b", "b2"]),
        (None, ["nichts"]),
    ]
    text = "\n".join(render_messages(digest, translate=TRANSLATE, language="de", tz=TZ))
    assert "B: 3 (neu)" in text and "A: 1 (=)" in text and "C: 0 (▼ −1)" in text
    assert "Weitere Themen" in text


def test_turnout_counts_people_who_answered_at_least_once() -> None:
    rows = round_rows(
        [
            answer(1, "ja"),
            answer(1, "auch", question_id=2),
            answer(2, "  "),
            answer(5, "ohne Teilnahme-Eintrag", cohort_id=2),
        ],
        participants=[ParticipantRow(1, 1), ParticipantRow(2, 1), ParticipantRow(3, None)],
    )
    digest = build_digest(
        rows,
        Selection(Audience.COORDINATOR),
        cohorts={1: "Jahrgang 2022", 2: "Jahrgang 2023"},
        default_visibility="all",
    )
    assert (digest.answered, digest.asked) == (2, 4)
    assert [(t.name, t.answered, t.asked) for t in digest.turnout] == [
        ("Jahrgang 2022", 1, 2),
        ("Jahrgang 2023", 1, 1),
        (None, 0, 1),
    ]


def test_filters_by_cohort_and_by_hashtag() -> None:
    rows = round_rows(
        [
            answer(1, "eins #Eltern", ("A",), hashtags=("Eltern",)),
            answer(2, "zwei", ("A",), cohort_id=2),
        ]
    )
    by_tag = build_digest(
        rows, Selection(Audience.ALUMNI, theme="Eltern"), cohorts={}, default_visibility="all"
    )
    assert [e.text for g in by_tag.questions[0].groups for e in g.entries] == ["eins #Eltern"]
    assert [(c.theme, c.count) for c in by_tag.overview] == [("Eltern", 1)]
    by_cohort = build_digest(
        rows, Selection(Audience.ALUMNI, cohort_id=2), cohorts={2: "J"}, default_visibility="all"
    )
    assert [e.text for g in by_cohort.questions[0].groups for e in g.entries] == ["zwei"]
    assert by_cohort.cohort_name == "J"


# ------------------------------------------------------------------------------ rendering


def test_every_message_is_valid_telegram_html_within_the_limit() -> None:
    hostile = "<b>x</b> & <script>y</script> </i> <a href='z'>"
    rows = round_rows(
        [
            answer(
                i,
                f"{hostile} Antwort {i}\nzweite <Zeile> {i}",
                ("<T&>", "B"),
                name=f"<i>N{i}</i> &",
                question_id=1 + i % 2,
            )
            for i in range(400)
        ]
    )
    messages = html_messages(rows, Selection(Audience.COORDINATOR))

    assert len(messages) > 5
    for index, message in enumerate(messages, 1):
        text, entities = parse_html(message)  # raises on what Telegram would reject
        assert utf16_length(text) <= 4096
        assert text.endswith(f"({index}/{len(messages)})")
        assert {e["type"] for e in entities} <= {"bold", "italic"}
        for line in message.split("\n"):
            parse_html(line)  # tags never span lines: any line boundary is a safe cut
    plain = "\n".join(parse_html(message)[0] for message in messages)
    assert plain.count(hostile) == 400


def test_an_interim_english_digest() -> None:
    rows = round_rows([answer(1, "text", ("A",))], status="open")
    digest = build_digest(
        rows, Selection(Audience.COORDINATOR), cohorts={}, default_visibility="all"
    )
    [message] = render_messages(digest, translate=TRANSLATE, language="en", tz=TZ)
    text, _ = parse_html(message)
    assert text.startswith("📰 Digest of round 2\n⏳ Interim digest – the round is open until")
    assert "1. What occupies you?" in text and "2. Wo brauchst du Input?" in text


def test_markdown_and_csv_escape_for_their_format() -> None:
    rows = round_rows(
        [
            answer(1, "# Titel *fett* [link](x)\n- Liste", ("A_B",), name="Ann_a"),
            answer(2, "@SUMME(1)", (), visibility="anonymous"),
        ]
    )
    digest = build_digest(rows, Selection(Audience.ALUMNI), cohorts={}, default_visibility="all")

    markdown = render_markdown(digest, translate=TRANSLATE, language="de", tz=TZ)
    assert "### _A\\_B_" in markdown
    assert "- **Ann\\_a** (Region 1): \\# Titel \\*fett\\* \\[link\\](x)\n  \\- Liste" in markdown
    assert "- _anonym_: @SUMME(1)" in markdown

    table = render_csv(digest, translate=TRANSLATE, language="de")
    assert table.startswith("\ufeff".encode())
    rows_read = list(csv.reader(io.StringIO(table.decode("utf-8-sig")), delimiter=";"))
    assert rows_read[1][3:] == [
        "A_B",
        "A_B",
        "",
        "Ann_a",
        "Region 1",
        "# Titel *fett* [link](x)\n- Liste",
    ]
    assert rows_read[2][6:] == ["anonym", "", "'@SUMME(1)"]
