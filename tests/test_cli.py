"""`python -m bot` as a person runs it: a real process, real signals, the sandbox as Telegram."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from sandbox.driver import World
from sandbox.server import SandboxServer

STARTUP_TIMEOUT = 20.0  # a cold interpreter importing PTB and SQLAlchemy


def clean_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """The environment without any of our settings, plus `variables`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "DATABASE_", "LOG_", "COORDINATOR_", "TIMEZONE"))
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    env.update(variables)
    return env


async def run_bot_cli(tmp_path: Path, *args: str, **variables: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,  # no .env from the working copy
        env=clean_env(tmp_path, **variables),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), STARTUP_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_help_lists_the_sub_commands(tmp_path: Path) -> None:
    code, out, _ = await run_bot_cli(tmp_path, "--help")
    assert code == 0
    assert all(command in out for command in ("run", "demo", "sandbox"))


async def test_run_without_a_token_says_so_in_one_line(tmp_path: Path) -> None:
    code, out, err = await run_bot_cli(tmp_path, "run")
    assert code == 2
    assert err.strip().count("\n") == 0 and "BOT_TOKEN" in err
    assert "Traceback" not in err and out == ""


async def test_an_invalid_setting_is_named(tmp_path: Path) -> None:
    code, _, err = await run_bot_cli(
        tmp_path, "run", BOT_TOKEN="123456:" + "a" * 30, TIMEZONE="Mars/Olympus"
    )
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "TIMEZONE" in err and "Europe/Berlin" in err and "Traceback" not in err


async def test_run_answers_start_against_a_bot_api_server_and_stops_on_sigterm(
    tmp_path: Path, empty_database_url: str
) -> None:
    async with SandboxServer() as sandbox:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=clean_env(
                tmp_path,
                BOT_TOKEN=sandbox.token,
                BOT_API_BASE_URL=sandbox.base_url,
                LOG_LEVEL="DEBUG",
                DATABASE_URL=empty_database_url,  # migrated at start
            ),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            anna = World(sandbox).user("Anna")
            await anna.send("/start")  # waits in the queue until the bot polls
            await anna.expect("Hallo Anna", timeout=STARTUP_TIMEOUT)
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 10)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert "bot_started" in log and "bot_stopped" in log
    assert sandbox.token not in log and sandbox.token.split(":")[1] not in log


async def test_a_rejected_token_fails_without_showing_it(tmp_path: Path) -> None:
    async with SandboxServer() as sandbox:
        wrong = sandbox.token.split(":")[0] + ":" + "Z" * 35
        code, _, err = await run_bot_cli(
            tmp_path, "run", BOT_TOKEN=wrong, BOT_API_BASE_URL=sandbox.base_url
        )
    assert code == 2
    assert "BOT_TOKEN" in err and "abgelehnt" in err and "Traceback" not in err
    assert wrong not in err and "Z" * 35 not in err


async def test_the_sandbox_command_serves_a_bot_api(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        "0",
        cwd=tmp_path,
        env=clean_env(tmp_path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        printed: dict[str, str] = {}
        while "BOT_TOKEN" not in printed:
            line = await asyncio.wait_for(process.stdout.readline(), STARTUP_TIMEOUT)
            assert line, "the sandbox exited before printing its settings"
            key, _, value = line.decode().strip().partition("=")
            printed[key] = value
        base_url, token = printed["BOT_API_BASE_URL"], printed["BOT_TOKEN"]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/bot")
        async with httpx.AsyncClient() as client:
            me = (await client.get(f"{base_url}{token}/getMe")).json()
            assert me["ok"] and me["result"]["is_bot"]
            process.stdin.write(b"Anna: /start\n")
            await process.stdin.drain()
            updates: list[object] = []
            for _ in range(50):  # the line is read by another process; poll its queue
                body = (await client.get(f"{base_url}{token}/getUpdates?timeout=1")).json()
                updates = body["result"]
                if updates:
                    break
        assert updates and updates[0]["message"]["text"] == "/start"  # type: ignore[index]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
