"""`python -m bot backup`: where it writes, what it prints, how it fails, what it keeps."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from test_cli import run_bot_cli

from bot import backups
from bot.cli import main
from storage.backup import backup_database

PG_URL = "postgresql+psycopg://alumni:s3cr%40t-pw@db.example:5432/alumni?sslmode=require"
PASSWORD = "s3cr@t-pw"

Cli = Callable[..., tuple[int, str, str]]  # (*args, **variables) -> (exit code, stdout, stderr)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `python -m bot ...` in this process (fast), in `tmp_path` with only our variables."""
    monkeypatch.chdir(tmp_path)  # no .env from the working copy
    for key in list(os.environ):
        if key.startswith(("BOT_", "DATABASE_", "BACKUP_", "PG")):
            monkeypatch.delenv(key)

    def run(*args: str, **variables: str) -> tuple[int, str, str]:
        for key, value in variables.items():
            monkeypatch.setenv(key, value)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as copy:
        return {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_backup_goes_to_backups_by_default_and_says_where_and_how_big(
    cli: Cli, database_path: Path, tmp_path: Path
) -> None:
    code, out, err = cli("backup", DATABASE_URL=_sqlite_url(database_path))
    assert code == 0 and err == ""
    [written] = list((tmp_path / "backups").iterdir())
    assert backups.FILE_NAME.fullmatch(written.name) and written.suffix == ".db"
    assert out.strip() == f"Backup written to backups/{written.name} ({_size(written)})"
    assert {"member", "answer", "alembic_version"} <= _tables(written)
    # One self-contained file: no WAL beside it that a restore would have to carry along.
    assert written.read_bytes()[18:20] == b"\x01\x01"


def test_backup_dir_and_backup_keep_rotate_only_our_files(
    cli: Cli, database_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "nightly"
    folder.mkdir()
    old = [folder / f"alumni-2026010{day}T030000Z.db" for day in range(1, 6)]
    for path in old:
        path.write_bytes(b"an older backup")
    (folder / "notes.txt").write_text("not a backup")
    (folder / "alumni-20260106T030000Z.db").touch()  # empty: cut off, not a backup

    code, out, _ = cli(
        "backup", DATABASE_URL=_sqlite_url(database_path), BACKUP_DIR=str(folder), BACKUP_KEEP="3"
    )
    assert code == 0 and "Removed 3 older backup(s), keeping 3" in out
    kept = [path for _, _, path in backups.backups_in(folder)]
    assert kept[:2] == old[-2:] and len(kept) == 3
    assert (folder / "notes.txt").exists()


def test_a_named_file_is_written_as_is_and_never_overwritten(
    cli: Cli, database_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "vor-dem-update" / "alumni.db"
    code, out, _ = cli("backup", str(target), DATABASE_URL=_sqlite_url(database_path))
    assert code == 0 and f"Backup written to {target}" in out and "member" in _tables(target)

    code, out, err = cli("backup", str(target), DATABASE_URL=_sqlite_url(database_path))
    assert code == 1 and out == ""
    assert err == f"Backup failed: {target} exists already; name a new file\n"


def test_a_missing_database_is_one_line_and_leaves_nothing_behind(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("backup", DATABASE_URL=_sqlite_url(tmp_path / "nope.db"))
    assert code == 1 and out == ""
    assert err == f"Backup failed: no database file at {tmp_path / 'nope.db'}\n"
    assert not (tmp_path / "nope.db").exists() and not (tmp_path / "backups").exists()


def test_an_unwritable_folder_is_one_line(cli: Cli, database_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "full"
    blocker.write_text("a file, not a folder")
    code, _, err = cli(
        "backup", DATABASE_URL=_sqlite_url(database_path), BACKUP_DIR=str(blocker / "deeper")
    )
    assert code == 1 and err.startswith("Backup failed: cannot write ") and err.count("\n") == 1


def test_an_invalid_backup_keep_is_a_configuration_error(cli: Cli, database_path: Path) -> None:
    code, _, err = cli("backup", DATABASE_URL=_sqlite_url(database_path), BACKUP_KEEP="0")
    assert code == 2 and "BACKUP_KEEP" in err and err.count("\n") == 1


def test_postgresql_without_pg_dump_says_what_to_install(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    code, out, err = cli("backup", DATABASE_URL=PG_URL)
    assert code == 1 and out == ""
    assert "pg_dump not found" in err and "postgresql-client" in err and err.count("\n") == 1
    assert PASSWORD not in err and "s3cr%40t" not in err


def test_postgresql_goes_through_pg_dump_custom_format_without_the_password_in_argv(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _fake_pg_dump(tmp_path, monkeypatch, succeed=True)
    code, out, err = cli("backup", DATABASE_URL=PG_URL)
    assert code == 0 and err == ""
    [written] = list((tmp_path / "backups").iterdir())
    assert written.suffix == ".dump" and written.read_bytes() == b"PGDMP fake archive"
    argv, password = log.read_text().split("\nPGPASSWORD=")
    assert argv.splitlines()[:2] == ["-Fc", "-f"]
    assert argv.splitlines()[-2:] == [
        "--dbname", "postgresql://alumni@db.example:5432/alumni?sslmode=require"
    ]  # fmt: skip
    assert password.strip() == PASSWORD
    assert f"Backup written to backups/{written.name} (18 bytes)" in out


def test_a_failing_pg_dump_is_one_line_with_the_password_redacted(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_pg_dump(tmp_path, monkeypatch, succeed=False)
    code, out, err = cli("backup", DATABASE_URL=PG_URL)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("Backup failed: pg_dump failed: connection to server")
    assert PASSWORD not in err and "[REDACTED]" in err
    assert not any((tmp_path / "backups").iterdir())


def _fake_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, succeed: bool) -> Path:
    """A stand-in `pg_dump` on PATH that records how it was called."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "pg_dump.log"
    script = folder / "pg_dump"
    body = (
        'printf "PGDMP fake archive" > "$3"\n'
        if succeed
        else 'echo "pg_dump: error: connection to server failed: password $PGPASSWORD" >&2\n'
        'echo "authentication failed" >&2\nexit 1\n'
    )
    script.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\necho "PGPASSWORD=$PGPASSWORD" >> {log}\n{body}'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


async def test_the_real_command_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    code, out, err = await run_bot_cli(tmp_path, "backup")  # DATABASE_URL: a file not there yet
    assert code == 1 and out == "" and "no database file" in err
    assert "Traceback" not in err and err.count("\n") == 1


async def test_a_backup_of_a_database_written_all_the_time_still_finishes(tmp_path: Path) -> None:
    """SQLite starts a stepwise copy over after every write by another connection; under
    a steady stream of writes the copy falls back to one step instead of starting over for
    ever."""
    import asyncio
    import threading

    source = tmp_path / "busy.db"
    with sqlite3.connect(source) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE answer (id INTEGER PRIMARY KEY, text TEXT)")
        setup.executemany("INSERT INTO answer (text) VALUES (?)", [("x" * 500,)] * 2000)
    stop = threading.Event()

    def keep_writing() -> None:
        with sqlite3.connect(source) as writer:
            while not stop.is_set():
                writer.execute("INSERT INTO answer (text) VALUES ('more')")
                writer.commit()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        await asyncio.wait_for(
            backup_database(_sqlite_url(source), tmp_path / "copy.db", pages_per_step=1), 20
        )
    finally:
        stop.set()
        thread.join()
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM answer").fetchone()[0] >= 2000


def _size(path: Path) -> str:
    return backups.human_size(path.stat().st_size)
