"""`python -m bot [run|demo]`: the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot.config import SettingsError, load_settings
from bot.logging_setup import configure_logging

EXIT_CONFIG = 2


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        if command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo())
        settings = load_settings()
        configure_logging(
            level=settings.log_level,
            log_format=settings.log_format,
            secrets=[settings.bot_token.get_secret_value()] if settings.bot_token else [],
        )
        settings.token  # noqa: B018  (fails with a clear message when BOT_TOKEN is missing)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    from bot.app import run_polling

    run_polling(settings)
    return 0
