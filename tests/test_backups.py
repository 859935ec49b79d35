"""Backups: one taken while members answer restores with every answer they were thanked for,
and the daily one fires on the clock and keeps BACKUP_KEEP files."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

import factories
import pytest
from checkin_steps import answers, coordinator, eventually, open_round
from conftest import BACKEND

from bot import backups
from sandbox.driver import Person
from sandbox.harness import Harness
from storage.backup import backup_database

QUESTIONS = 5


# On PostgreSQL a backup is `pg_dump -Fc` and a restore `pg_restore` into a fresh database: the
# CLI tests cover the dump call; restoring one is not automated yet (see the README).
SQLITE_ONLY = pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite online-backup path")


@SQLITE_ONLY
async def test_a_backup_taken_while_members_answer_holds_every_acknowledged_answer(
    bot: Harness, tmp_path: Path
) -> None:
    people = [bot.world.user(name) for name in ("Anna", "Ben", "Cem", "Dana")]
    eva = bot.world.user("Eva")  # answers nothing before the backup: continues on the copy
    for person in [*people, eva]:
        await factories.member(bot, person)
    await open_round(bot, await coordinator(bot))
    for person in [*people, eva]:
        await person.expect("Frage 1 von 5")
    thanked = {person.name: 0 for person in people}  # answers the bot confirmed

    async def answer(person: Person) -> None:
        for index in range(1, QUESTIONS + 1):
            await person.send(f"{person.name}: Antwort {index}")
            await person.expect(
                f"Frage {index + 1} von" if index < QUESTIONS else "Deine Antworten"
            )
            thanked[person.name] = index

    async def back_up() -> tuple[dict[str, int], dict[str, int]]:
        await eventually(lambda: _at_least(thanked, len(people)), "the first answers")
        before = dict(thanked)
        # One page per step: the answers arriving meanwhile make SQLite start over, as they
        # would on a large database.
        await backup_database(bot.settings.database_url, tmp_path / "copy.db", pages_per_step=1)
        return before, dict(thanked)

    backup = asyncio.create_task(back_up())
    await asyncio.gather(*(answer(person) for person in people))
    before, after = await backup
    assert sum(before.values()) < len(people) * QUESTIONS, "the backup ran after all answers"

    restored = tmp_path / "restored" / "alumni.db"
    restored.parent.mkdir()
    shutil.copy(tmp_path / "copy.db", restored)
    await bot.restart(database_url=f"sqlite+aiosqlite:///{restored}")

    for person in people:
        texts = [text for _, text, _ in await answers(bot, person)]
        # A consistent moment between the start and the end of the backup, in answer order:
        # all confirmed before it began, and at most the one answer each member had sent but
        # not yet seen confirmed when it ended (stored first, confirmed after).
        assert before[person.name] <= len(texts) <= after[person.name] + 1, person.name
        assert texts == [f"{person.name}: Antwort {i}" for i in range(1, len(texts) + 1)]
        if len(texts) < QUESTIONS:  # the restored bot takes the next answer where it left off
            await person.send(f"{person.name}: weiter")
            await person.expect(f"Gespeichert als Antwort auf Frage {len(texts) + 1}")
    await eva.send("Eva: Antwort 1")
    await eva.expect("Gespeichert", "Frage 2 von 5")
    assert [text for _, text, _ in await answers(bot, eva)] == ["Eva: Antwort 1"]


async def _at_least(thanked: dict[str, int], total: int) -> bool:
    return sum(thanked.values()) >= total


@pytest.mark.skipif(
    BACKEND != "sqlite" and shutil.which("pg_dump") is None, reason="no pg_dump on this machine"
)
async def test_the_daily_backup_fires_on_the_clock_and_keeps_backup_keep(
    bot: Harness, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    await bot.restart(backup_dir=str(folder), backup_keep=2)

    async def files(count: int) -> list[Path]:
        await eventually(lambda: _has(folder, count), f"{count} backup files")
        return [path for _, _, path in backups.backups_in(folder)]

    first = await files(1)  # none yet: the first is taken at start
    suffix = ".db" if BACKEND == "sqlite" else ".dump"
    assert first[0].name.startswith("alumni-") and first[0].suffix == suffix
    await bot.clock.advance(dt.timedelta(hours=23))
    assert backups.next_due(bot.settings, bot.clock.now()) == _stamp(first[0]) + backups.INTERVAL
    await bot.restart()  # the files say when: no second backup on restart
    assert await files(1) == first

    await bot.clock.advance(dt.timedelta(hours=1, seconds=1))
    second = await files(2)
    await bot.clock.advance(dt.timedelta(days=1))
    await eventually(
        lambda: _newest_is_new(folder, second[-1]), "the third backup to replace the first"
    )
    third = [path for _, _, path in backups.backups_in(folder)]
    assert len(third) == 2 and third[0] == second[-1] and not first[0].exists()
    assert _stamp(third[-1]) - _stamp(third[0]) >= backups.INTERVAL


async def test_a_failed_daily_backup_is_logged_and_tried_again_later(
    bot: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    await bot.restart(backup_dir=str(blocker))
    job = None

    async def retry_armed() -> bool:
        nonlocal job
        assert bot.app is not None and bot.app.job_queue is not None
        jobs = bot.app.job_queue.get_jobs_by_name("backup:daily")
        job = jobs[0] if jobs else None
        return job is not None and job.next_t is not None and job.next_t > dt.datetime.now(dt.UTC)

    await eventually(retry_armed, "the retry to be armed")
    assert job is not None and job.next_t is not None
    assert job.next_t - dt.datetime.now(dt.UTC) > dt.timedelta(minutes=50)
    assert any("backup_failed" in record.getMessage() for record in caplog.records)
    assert not any(blocker.parent.glob("alumni-*"))


async def _has(folder: Path, count: int) -> bool:
    return len(backups.backups_in(folder)) >= count


async def _newest_is_new(folder: Path, previous: Path) -> bool:
    found = backups.backups_in(folder)
    return bool(found) and found[-1][2] != previous and len(found) == 2


def _stamp(path: Path) -> dt.datetime:
    match = backups.FILE_NAME.fullmatch(path.name)
    assert match is not None
    return dt.datetime.strptime(match["stamp"], backups.STAMP_FORMAT).replace(tzinfo=dt.UTC)
