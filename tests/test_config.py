"""Settings: durations with units, and one clear line per bad variable."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings, parse_duration

TOKEN = "123456:" + "A" * 30


@pytest.fixture(autouse=True)
def no_outside_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what a test sets counts: no variables from the shell, no `.env` in the cwd."""
    for key in list(os.environ):
        if key.startswith(
            ("BOT_", "DATABASE_", "LOG_", "COORDINATOR_", "TIMEZONE", "SEND_", "WEBHOOK_")
        ):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("3h", 10_800),
        ("14d", 14 * 86_400),
        ("1h30m", 5_400),
        ("45", 45),
        ("0.5", 0.5),
        (" 2h ", 7_200),
    ],
)
def test_durations_accept_units(text: str, seconds: float) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "3 weeks and a bit", "-"])
def test_nonsense_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="90s, 15m, 3h or 14d"):
        parse_duration(text)


def test_environment_is_read_with_units_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", f"  {TOKEN} ")
    monkeypatch.setenv("RETENTION", "14d")
    monkeypatch.setenv("SEND_RETRY_BACKOFF", "90s")
    monkeypatch.setenv("COORDINATOR_IDS", "11, 22,33")
    monkeypatch.setenv("LOG_FORMAT", "json")
    settings = load_settings()
    assert settings.token == TOKEN
    assert settings.retention == dt.timedelta(days=14)
    assert settings.send_retry_backoff == dt.timedelta(seconds=90)
    assert settings.coordinator_ids == [11, 22, 33]
    assert settings.log_format == "json" and settings.default_language == "de"
    assert str(settings.tz) == "Europe/Berlin"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


def test_settings_come_from_a_dot_env_file() -> None:
    Path(".env").write_text(f"BOT_TOKEN={TOKEN}\nQUIET_HOURS=22:00-07:00\n", encoding="utf-8")
    settings = load_settings()
    assert settings.token == TOKEN and settings.quiet_hours == "22:00-07:00"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("RETENTION", "forever", "90s, 15m, 3h or 14d"),
        ("RETENTION", "0", "at least one day"),
        ("RETENTION", "12h", "at least one day"),
        ("TIMEZONE", "Mars/Olympus", "Europe/Berlin"),
        ("COORDINATOR_IDS", "12,anna", "numeric Telegram user ids"),
        ("BOT_TOKEN", "not-a-token", "@BotFather"),
        ("QUIET_HOURS", "22-7", "20:00-08:00"),
        ("BOT_API_BASE_URL", "api.telegram.org", "http(s) URL"),
        ("DATABASE_URL", "sqlite:///x.db", "sqlite+aiosqlite"),
        ("LOG_LEVEL", "LOUD", "DEBUG"),
        ("SEND_MAX_ATTEMPTS", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_value_names_the_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(f"{variable}: ") and expected in message
    assert "\n" not in message


def test_a_missing_token_is_reported_only_when_needed() -> None:
    settings = load_settings()  # the demo and the tests run without one
    with pytest.raises(SettingsError, match=r"^BOT_TOKEN: not set"):
        settings.token  # noqa: B018


def test_redact_hides_the_configured_token() -> None:
    settings = load_settings(bot_token=TOKEN)
    assert TOKEN not in settings.redact(f"https://api.telegram.org/bot{TOKEN}/getMe")
    assert settings.redact("harmless") == "harmless"


def test_webhook_mode_needs_an_https_url_and_a_secret() -> None:
    assert load_settings().webhook_url is None  # polling by default
    settings = load_settings(
        webhook_url="https://bot.example.org/tg",
        webhook_secret="s3cret_-X",
        webhook_listen="[::1]:9000",
    )
    assert settings.webhook_address == ("::1", 9000)
    assert load_settings().webhook_address == ("127.0.0.1", 8080)
    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET: required with WEBHOOK_URL"):
        load_settings(webhook_url="https://bot.example.org/tg")
    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET: expected 1-256"):
        load_settings(webhook_url="https://bot.example.org/tg", webhook_secret="no spaces!")
    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET: expected 1-256"):
        load_settings(webhook_url="https://bot.example.org/tg", webhook_secret="x" * 257)
    with pytest.raises(SettingsError, match=r"^WEBHOOK_URL: expected the public https address"):
        load_settings(webhook_url="http://bot.example.org/tg", webhook_secret="abc")
    with pytest.raises(SettingsError, match=r"^WEBHOOK_LISTEN: expected host:port"):
        load_settings(webhook_listen="8080")


def test_the_webhook_secret_is_redacted_like_the_token() -> None:
    secret = "webhook-secret-0123456789"
    settings = load_settings(
        bot_token=TOKEN, webhook_url="https://bot.example.org/tg", webhook_secret=secret
    )
    assert secret in settings.secrets and TOKEN in settings.secrets
    assert secret not in settings.redact(f"setWebhook secret_token={secret}")
    assert secret not in repr(settings)
