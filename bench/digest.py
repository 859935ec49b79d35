"""Benchmark (not a test): build and render a round's digest for 1,000 / 10,000 / 50,000 answers.

    .venv/bin/python bench/digest.py

Measures separately (best of several runs each):
- build + render in memory: `build_digest` + `render_messages` (HTML, split into messages),
  for the coordinators' version (everything) — the work `/digest` and the scheduled digest do;
- the database load: `storage.digests.load_round` for the round and the one before it, from a
  migrated SQLite file, as `/digest` does.
Ratios are per answer, relative to the 1,000-answer case of the same run, so 1.0 means linear.
Target: 10,000 answers (2,500 members x 4 questions) built and rendered in at most 0.5 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.digest.model import Audience, Selection, build_digest
from bot.digest.render import render_messages
from bot.i18n import Translator
from bot.themes import DEFAULT_LEXICON
from storage import digests as store
from storage import rounds as round_store
from storage.db import Database
from storage.digests import AnswerRow, ParticipantRow, QuestionRow, RoundRows
from storage.tables import Answer, Cohort, Member, Participation, Round, RoundQuestion

SIZES = (1_000, 10_000, 50_000)
QUESTIONS = 4
RUNS = 3
TZ = ZoneInfo("Europe/Berlin")
THEMES = list(DEFAULT_LEXICON)
VISIBILITY = ["all"] * 14 + [None] * 4 + ["coordinators", "anonymous"]
SENTENCES = [
    "Die Förderung für unser Mädchen-Projekt läuft Ende des Jahres aus.",
    "Wir suchen Honorarkräfte für die Ferienkurse & Workshops.",
    "Auf Instagram erreichen wir Eltern besser als über die Schulen.",
    "Das Berufsorientierungs-Camp war wieder voll – Präsenz wirkt!",
    "Nach der Landtagswahl ist unklar, wie es mit der Stelle weitergeht.",
    "Wer hat Erfahrung mit einem lokalen Bildungsportal?",
    "Neue Kooperation mit der Hochschule <Campus Nord> gestartet.",
]


def synthetic_round(answers: int, *, number: int, seed: int) -> RoundRows:
    rng = random.Random(seed)
    members = answers // QUESTIONS
    questions = [
        QuestionRow(q, q, f"Frage {q}: Was beschäftigt dich gerade?", None)
        for q in range(1, QUESTIONS + 1)
    ]
    rows = [
        AnswerRow(
            question_id=q,
            member_id=m,
            name=f"Alumna {m}",
            region=f"MINT-Region {m % 97}",
            cohort_id=1 + m % 3,
            text=" ".join(rng.sample(SENTENCES, 2)) + (" #Elternarbeit" if m % 7 == 0 else ""),
            themes=rng.sample(THEMES, rng.choice((0, 1, 1, 2))),
            hashtags=["Elternarbeit"] if m % 7 == 0 else [],
            visibility=VISIBILITY[m % len(VISIBILITY)],
        )
        for m in range(1, members + 1)
        for q in range(1, QUESTIONS + 1)
    ]
    start = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    return RoundRows(
        number=number,
        status="closed",
        opened_at=start,
        closes_at=start + dt.timedelta(days=14),
        closed_at=start + dt.timedelta(days=14),
        questions=questions,
        answers=rows,
        participants=[ParticipantRow(m, 1 + m % 3) for m in range(1, members + 1)],
    )


def build_and_render(rows: RoundRows, previous: RoundRows, translate: Translator) -> int:
    digest = build_digest(
        rows,
        Selection(Audience.COORDINATOR),
        cohorts={1: "Jahrgang 2021", 2: "Jahrgang 2022", 3: "Jahrgang 2023"},
        default_visibility="all",
        theme_order=THEMES,
        previous=previous,
    )
    return len(render_messages(digest, translate=translate, language="de", tz=TZ))


def best_of(runs: int, action: object) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


# ------------------------------------------------------------------------------ database


async def fill_database(db: Database, rounds: list[RoundRows]) -> None:
    """Bulk-insert the synthetic rounds (not measured)."""
    members = max(len(r.participants) for r in rounds)
    async with db.write() as session:
        for cohort_id in (1, 2, 3):
            session.add(Cohort(id=cohort_id, name=f"Jahrgang {2020 + cohort_id}"))
        await session.flush()
        await session.exec(insert(Member), params=[  # type: ignore[call-overload]
            {"id": m, "telegram_id": 10_000 + m, "display_name": f"Alumna {m}",
             "region": f"MINT-Region {m % 97}", "cohort_id": 1 + m % 3, "language": "de"}
            for m in range(1, members + 1)
        ])  # fmt: skip
        for index, rows in enumerate(rounds, 1):
            session.add(Round(id=index, number=rows.number, status="closed",
                              opened_at=rows.opened_at, closes_at=rows.closes_at,
                              closed_at=rows.closed_at))  # fmt: skip
            await session.flush()
            question_ids = {}
            for question in rows.questions:
                stored = RoundQuestion(round_id=index, position=question.position,
                                       text_de=question.text_de)  # fmt: skip
                session.add(stored)
                await session.flush()
                question_ids[question.id] = stored.id
            await session.exec(insert(Participation), params=[  # type: ignore[call-overload]
                {"round_id": index, "member_id": p.member_id,
                 "visibility": VISIBILITY[p.member_id % len(VISIBILITY)]}
                for p in rows.participants
            ])  # fmt: skip
            await session.exec(insert(Answer), params=[  # type: ignore[call-overload]
                {"round_id": index, "round_question_id": question_ids[a.question_id],
                 "member_id": a.member_id, "text": a.text, "themes": list(a.themes),
                 "hashtags": list(a.hashtags)}
                for a in rows.answers
            ])  # fmt: skip
        await session.commit()


async def measure_load(directory: Path, size: int, rounds: list[RoundRows]) -> float:
    db = Database(f"sqlite+aiosqlite:///{directory / f'bench-{size}.db'}")
    await db.migrate()
    await fill_database(db, rounds)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        async with db.session() as session:
            latest = await round_store.latest_round(session)
            assert latest is not None
            loaded = await store.load_round(session, round=latest)
            before = await store.previous_round(session, number=latest.number)
            assert before is not None
            await store.load_round(session, round=before)
            await store.cohort_names(session)
        times.append(time.perf_counter() - started)
        assert len(loaded.answers) == size
    await db.close()
    return min(times)


# ------------------------------------------------------------------------------ report


def main() -> int:
    translate = Translator.load("de")
    results = []
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as directory:
        for size in SIZES:
            previous = synthetic_round(size, number=1, seed=1)
            rows = synthetic_round(size, number=2, seed=2)
            messages = build_and_render(rows, previous, translate)
            build = best_of(RUNS, lambda: build_and_render(rows, previous, translate))  # noqa: B023
            load = asyncio.run(measure_load(Path(directory), size, [previous, rows]))
            results.append((size, messages, build, load))
    base_build = results[0][2] / results[0][0]
    base_load = results[0][3] / results[0][0]
    print(f"Digest benchmark (Python {sys.version.split()[0]}, best of {RUNS} runs)")
    print(f"{'answers':>8} {'messages':>8} {'build+render':>13} {'µs/answer':>10} {'ratio':>6}"
          f" {'db load':>9} {'µs/answer':>10} {'ratio':>6}")  # fmt: skip
    for size, messages, build, load in results:
        print(
            f"{size:>8,} {messages:>8} {build * 1000:>10.1f} ms {build / size * 1e6:>10.1f}"
            f" {build / size / base_build:>6.2f} {load * 1000:>6.1f} ms"
            f" {load / size * 1e6:>10.1f} {load / size / base_load:>6.2f}"
        )
    ten_thousand = next(build for size, _, build, _ in results if size == 10_000)
    verdict = "met" if ten_thousand <= 0.5 else "MISSED"
    print(f"target (10,000 answers built+rendered in <= 0.5 s): {verdict} "
          f"({ten_thousand:.3f} s); per-answer statistics: median build "
          f"{statistics.median(b / s for s, _, b, _ in results) * 1e6:.1f} µs")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
