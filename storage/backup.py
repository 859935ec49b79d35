"""A consistent copy of the live database: SQLite's online backup API, or `pg_dump -Fc`.

Both work while the bot keeps writing. Neither blocks the event loop: the SQLite copy runs in a
worker thread, `pg_dump` in a child process. The copy is written next to its target under a
temporary name and renamed only once complete, so a half-written file never looks like a backup.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# 1024 pages (4 MiB at SQLite's default page size) per step: a small database is copied in
# one step, a large one in several, with the source unlocked between them.
PAGES_PER_STEP = 1024
# A write by another connection between two steps makes SQLite start the copy over. Under a
# steady stream of answers a large copy could start over for ever; after this many restarts
# the rest is copied in one step (one read snapshot; in WAL mode the bot keeps writing).
MAX_RESTARTS = 3
BUSY_TIMEOUT_SECONDS = 5.0
MAX_MESSAGE = 400  # characters of pg_dump's complaint shown to the operator


class BackupError(Exception):
    """The backup could not be made; the message is one line for the operator, no secrets."""


def backend_of(database_url: str) -> str:
    """`sqlite` or `postgresql` (the backends that can be backed up), else a BackupError."""
    url = _parse(database_url)
    backend = url.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def check_source(database_url: str) -> None:
    """Fail early, before any file is made, if there is nothing that could be backed up."""
    if backend_of(database_url) == "sqlite":
        _sqlite_file(_parse(database_url))


async def backup_database(
    database_url: str, target: Path, *, pages_per_step: int = PAGES_PER_STEP
) -> None:
    """Write a consistent copy of the database at `database_url` to `target`."""
    url = _parse(database_url)
    if backend_of(database_url) == "sqlite":
        await asyncio.to_thread(_sqlite_backup, _sqlite_file(url), target, pages_per_step)
    else:
        await _pg_dump(url, target)


def _parse(database_url: str) -> URL:
    try:
        return make_url(database_url)
    except ArgumentError:
        raise BackupError("DATABASE_URL is not a database URL") from None


# ------------------------------------------------------------------------------ SQLite


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    path = Path(url.database)
    # sqlite3.connect would quietly create an empty database and "back up" that.
    if not path.is_file():
        raise BackupError(f"no database file at {path}")
    return path


class _StartedOver(Exception):
    """Raised from the progress callback to abandon a copy that keeps starting over."""


def _sqlite_backup(source_path: Path, target: Path, pages_per_step: int) -> None:
    partial = _partial(target)
    _remove(partial)  # left over from a copy that was cut off
    try:
        source = sqlite3.connect(source_path, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            _copy(source, partial, pages_per_step)
        finally:
            source.close()
        _check(partial)
        partial.replace(target)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite: {error}") from None
    finally:
        _remove(partial)


def _copy(source: sqlite3.Connection, partial: Path, pages_per_step: int) -> None:
    last_remaining: int | None = None
    restarts = 0

    def progress(_status: int, remaining: int, _total: int) -> None:
        nonlocal last_remaining, restarts
        if last_remaining is not None and remaining > last_remaining:  # it started over
            restarts += 1
            if restarts >= MAX_RESTARTS:
                raise _StartedOver
        last_remaining = remaining

    try:
        with contextlib.closing(sqlite3.connect(partial)) as target:
            source.backup(target, pages=pages_per_step, progress=progress)
    except _StartedOver:
        with contextlib.closing(sqlite3.connect(partial)) as target:
            source.backup(target, pages=-1)


def _check(path: Path) -> None:
    """A copy that SQLite itself does not find sound is no backup. It leaves WAL mode, so the
    backup is one self-contained file (the bot switches back to WAL when it opens it)."""
    with contextlib.closing(sqlite3.connect(path)) as copy:
        result = copy.execute("PRAGMA quick_check").fetchone()
        copy.execute("PRAGMA journal_mode=DELETE")
    if result is None or result[0] != "ok":
        raise BackupError(f"the copy failed SQLite's check: {result}")


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


def _without(text: str, password: str | None) -> str:
    """`text` with the password hidden, also in the URL-encoded form it has in DATABASE_URL."""
    for form in {password, quote(password or "", safe="")} if password else ():
        text = text.replace(form, "[REDACTED]")
    return text


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            leftover.unlink()


# ------------------------------------------------------------------------------ PostgreSQL


async def _pg_dump(url: URL, target: Path) -> None:
    binary = shutil.which("pg_dump")
    if binary is None:
        raise BackupError(
            "pg_dump not found: install the PostgreSQL client tools (e.g. "
            "apt install postgresql-client, the same major version as the server)"
        )
    password = url.password
    # libpq's URL without the driver suffix; the password goes by environment, not on the
    # command line, where every local user could read it in the process list.
    # (URL.set cannot drop a field: None there means "leave it".)
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    dbname = plain.render_as_string(hide_password=False)
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    partial = _partial(target)
    try:
        process = await asyncio.create_subprocess_exec(
            binary, "-Fc", "-f", str(partial), "--dbname", dbname,
            env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, stderr = await process.communicate()
        if process.returncode != 0:
            # pg_dump's message may run over several lines (the reason, then a hint): one line.
            message = " ".join(stderr.decode(errors="replace").split()) or "no message"
            message = message.removeprefix("pg_dump: error: ")[:MAX_MESSAGE]
            raise BackupError(f"pg_dump failed: {_without(message, password)}")
        partial.replace(target)
    finally:
        _remove(partial)
