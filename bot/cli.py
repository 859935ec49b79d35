"""`python -m bot [run|demo|sandbox|backup|copy-db]`: the command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.config import SettingsError, TokenRejected, WebhookRejected, load_settings
from bot.logging_setup import configure_logging

EXIT_CONFIG = 2
EXIT_FAILURE = 1

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Alumni exchange bot for the network coordinators (Telegram).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot against Telegram (default); needs BOT_TOKEN")
    commands.add_parser(
        "demo", help="play a short scene against a local sandbox and print the chat transcript"
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="run the local Telegram sandbox on 127.0.0.1 for `python -m bot run` to talk to",
    )
    sandbox.add_argument("--port", type=int, default=8081, help="port (default 8081; 0: any)")
    backup = commands.add_parser(
        "backup",
        help="write a consistent copy of the database (also while the bot runs)",
        description="Back up DATABASE_URL: SQLite through its online backup API, PostgreSQL "
        "with pg_dump -Fc. Without FILE: a new alumni-<UTC time>.db (or .dump) in BACKUP_DIR "
        "(or ./backups), keeping the newest BACKUP_KEEP there.",
    )
    backup.add_argument("file", nargs="?", type=Path, metavar="FILE", help="where to write it")
    copy_db = commands.add_parser(
        "copy-db",
        help="copy every row from DATABASE_URL into another, empty database (e.g. PostgreSQL)",
    )
    copy_db.add_argument(
        "--to", required=True, metavar="URL", help="e.g. postgresql+psycopg://user@host/alumni"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "demo":
        from sandbox.demo import run_demo

        return asyncio.run(run_demo())
    if command == "sandbox":
        return asyncio.run(run_sandbox(args.port, sys.stdin, sys.stdout))
    if command == "backup":
        return backup(args.file)
    if command == "copy-db":
        return copy_db(args.to)
    return run()


def backup(target: Path | None) -> int:
    """Take one backup; print where it went and how big it is, or one line why not."""
    from bot import backups
    from storage.types import utcnow

    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        result = asyncio.run(backups.take_backup(settings, now=utcnow(), target=target))
    except backups.BackupError as error:
        print(f"Backup failed: {settings.redact_database(str(error))}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:
        # Anything else (a driver error, a full disk): still one line for the operator, never
        # a traceback, which could quote the URL with its password.
        reason = settings.redact_database(f"{type(error).__name__}: {error}")
        print(f"Backup failed: {reason}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"Backup written to {result.path} ({backups.human_size(result.size)})")
    if result.removed:
        print(f"Removed {len(result.removed)} older backup(s), keeping {settings.backup_keep}")
    return 0


def copy_db(target_url: str) -> int:
    """Copy the bot's database (DATABASE_URL) into `target_url`; stop the bot first."""
    from sqlalchemy.engine import make_url

    from bot.copy_db import CopyRefused, copy_database

    try:
        settings = load_settings()
        make_url(target_url)
    except (SettingsError, ValueError) as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        report = asyncio.run(copy_database(source_url=settings.database_url, target_url=target_url))
    except CopyRefused as error:
        print(f"Nothing copied: {error}.", file=sys.stderr)
        return EXIT_CONFIG
    for table, rows in report.rows.items():
        print(f"{table}: {rows}")
    shown = make_url(target_url).render_as_string(hide_password=True)
    print(f"Copied {report.total} rows into {shown}; the row counts match.")
    return 0


def run() -> int:
    try:
        settings = load_settings()
        settings.token  # noqa: B018  (fails with a clear message when BOT_TOKEN is missing)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(
        level=settings.log_level,
        log_format=settings.log_format,
        secrets=settings.secrets,
    )
    from handlers.app import run_polling

    try:
        run_polling(settings)
    except TokenRejected:
        # The operator's mistake, not a crash: one line, in both languages, no traceback.
        print(
            "BOT_TOKEN wurde von Telegram abgelehnt (widerrufen oder vertippt?); "
            "bitte bei @BotFather prüfen. / Telegram rejected BOT_TOKEN (revoked or mistyped?); "
            "check it with @BotFather.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except WebhookRejected as error:
        print(
            f"Telegram hat WEBHOOK_URL abgelehnt / Telegram rejected WEBHOOK_URL: {error}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except Exception as error:
        # Logged through the redacting handler: a traceback may quote the URL with the token.
        logger.exception("bot_crashed error=%s", type(error).__name__)
        return EXIT_FAILURE
    return 0


async def run_sandbox(port: int, stdin: TextIO, stdout: TextIO) -> int:
    """Serve the sandbox until SIGINT/SIGTERM; lines `Name: text` on stdin are sent as Name."""
    from sandbox.driver import Person, World
    from sandbox.server import SandboxServer

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async with SandboxServer(port=port) as server:
        world = World(server)
        people: dict[str, Person] = {}
        server.listeners.append(
            lambda message: print(
                f"bot → {message.chat_id}: {message.text}", file=stdout, flush=True
            )
        )
        print(
            f"Sandbox Telegram Bot API listening on 127.0.0.1:{server.port}\n"
            f"BOT_API_BASE_URL={server.base_url}\n"
            f"BOT_TOKEN={server.token}\n"
            "Start the bot in another terminal with these two variables set: "
            "python -m bot run\n"
            "Then type lines like `Anna: /start` here to write to the bot as Anna.",
            file=stdout,
            flush=True,
        )

        lines: asyncio.Queue[str] = asyncio.Queue()

        def read_stdin() -> None:
            # A daemon thread, not the loop's executor: a blocked readline must not delay exit.
            for line in iter(stdin.readline, ""):
                loop.call_soon_threadsafe(lines.put_nowait, line)

        threading.Thread(target=read_stdin, name="sandbox-stdin", daemon=True).start()

        async def talk() -> None:
            while True:
                name, colon, text = (await lines.get()).partition(":")
                if not colon or not name.strip() or not text.strip():
                    print("Write `Name: text`, e.g. `Anna: /start`.", file=stdout, flush=True)
                    continue
                person = people.get(name.strip())
                if person is None:
                    person = people[name.strip()] = world.user(name.strip())
                await person.send(text.strip())

        talker = asyncio.create_task(talk())
        await stop.wait()
        talker.cancel()
    return 0
