"""Backups of the database: where they go, what they are called, how many stay, when the next
one is due.

The files themselves are the record of "when was the last backup": their names carry the UTC
moment they were taken (`alumni-20261101T093000Z.db`), so a restart, a backup taken by hand
with `python -m bot backup` and a deleted file are all seen the same way, with no state to keep
in step. A backup of the database holds no trace of itself, so restoring one changes nothing
about when the next is due.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from storage.backup import BackupError, backend_of, backup_database, check_source

DEFAULT_DIR = Path("backups")
INTERVAL = dt.timedelta(days=1)
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# `-2`, `-3` ... only when two backups fall into the same second.
FILE_NAME = re.compile(r"alumni-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.(?:db|dump)")

logger = logging.getLogger(__name__)

__all__ = ["BackupError", "BackupResult", "take_backup"]


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    removed: tuple[Path, ...] = ()  # older backups deleted beyond BACKUP_KEEP


def directory(settings: Settings) -> Path:
    """BACKUP_DIR, or ./backups for a backup taken by hand while automatic ones are off."""
    return Path(settings.backup_dir) if settings.backup_dir else DEFAULT_DIR


def extension(database_url: str) -> str:
    """`.db` for an SQLite copy (a database file itself), `.dump` for pg_dump's archive."""
    return ".db" if backend_of(database_url) == "sqlite" else ".dump"


def backups_in(folder: Path) -> list[tuple[dt.datetime, int, Path]]:
    """Our backup files in `folder`, oldest first (others are never touched)."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no folder yet, or not one we can read: taking a backup will say why
        return []
    for entry in entries:
        match = FILE_NAME.fullmatch(entry.name)
        # Empty: a name reserved by a backup still being written (or cut off), not a backup.
        if match is None or not entry.is_file() or entry.stat().st_size == 0:
            continue
        moment = dt.datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=dt.UTC)
        found.append((moment, int(match["n"] or 1), Path(entry.path)))
    return sorted(found)


def last_backup_at(folder: Path) -> dt.datetime | None:
    found = backups_in(folder)
    return found[-1][0] if found else None


def next_due(settings: Settings, now: dt.datetime) -> dt.datetime | None:
    """When the next automatic backup is due (now, if there is none yet); None when off."""
    if settings.backup_dir is None:
        return None
    last = last_backup_at(directory(settings))
    return now if last is None else max(now, last + INTERVAL)


def rotate(folder: Path, keep: int) -> tuple[Path, ...]:
    """Delete all but the newest `keep` backups in `folder`."""
    found = backups_in(folder)
    removed = tuple(path for _, _, path in found[: max(0, len(found) - keep)])
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _reserve(folder: Path, suffix: str, now: dt.datetime) -> Path:
    """A fresh file name for a backup taken `now`, created empty so that no other backup (in
    this process or another) picks the same one."""
    stamp = now.astimezone(dt.UTC).strftime(STAMP_FORMAT)
    for n in range(1, 1000):
        path = folder / (f"alumni-{stamp}{suffix}" if n == 1 else f"alumni-{stamp}-{n}{suffix}")
        try:
            path.open("x").close()
        except FileExistsError:
            continue
        return path
    raise BackupError(f"too many backups within one second in {folder}")


async def take_backup(
    settings: Settings, *, now: dt.datetime, target: Path | None = None
) -> BackupResult:
    """Back the database up to `target`, or to a new file in the backup directory (then the
    oldest beyond BACKUP_KEEP are deleted). Raises BackupError with a one-line reason."""
    check_source(settings.database_url)
    suffix = extension(settings.database_url)
    reserved = target is None
    try:
        if target is None:
            folder = directory(settings)
            folder.mkdir(parents=True, exist_ok=True)
            target = _reserve(folder, suffix, now)
        elif target.exists():
            raise BackupError(f"{target} exists already; name a new file")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            await backup_database(settings.database_url, target)
        except BaseException:
            if reserved:
                target.unlink(missing_ok=True)
            raise
        size = target.stat().st_size
        removed = rotate(target.parent, settings.backup_keep) if reserved else ()
    except OSError as error:
        where = error.filename or target or directory(settings)
        raise BackupError(f"cannot write {where}: {error.strerror or error}") from None
    logger.info("backup_written path=%s bytes=%d removed=%d", target, size, len(removed))
    return BackupResult(target, size, removed)


def human_size(size: int) -> str:
    """`532 bytes`, `12.4 kB`, `3.1 MB` (decimal units, as file managers show)."""
    if size < 1000:
        return f"{size} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
