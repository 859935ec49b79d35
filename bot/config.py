"""Settings, read once from the environment and `.env`, then passed down explicitly."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pytimeparse.timeparse import timeparse as parse_timespan

from bot.quiet_hours import QuietHours
from bot.rounds.schedule import CheckinSchedule, parse_reminders
from bot.themes import load_lexicon_file

TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
# What Telegram accepts as setWebhook's secret_token (sent back in every webhook request).
WEBHOOK_SECRET_PATTERN = r"[A-Za-z0-9_-]{1,256}"
SUPPORTED_LANGUAGES = ("de", "en")


class TokenRejected(Exception):
    """Telegram refused BOT_TOKEN (revoked or mistyped): the operator must fix the settings."""


class WebhookRejected(Exception):
    """Telegram refused WEBHOOK_URL (not reachable, bad certificate, wrong port ...)."""


def parse_duration(value: object) -> dt.timedelta:
    """Accept `90s`, `15m`, `3h`, `14d`, `1h30m`, a bare number of seconds or a timedelta."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float):
        return dt.timedelta(seconds=value)
    if isinstance(value, str):
        seconds = parse_timespan(value.strip())
        if seconds is None and value.strip().replace(".", "", 1).isdigit():
            seconds = float(value)
        if seconds is not None:
            return _timedelta(seconds)
    raise ValueError("expected a duration such as 90s, 15m, 3h or 14d")


# Far beyond any sensible setting, and far inside what datetime arithmetic can hold.
LONGEST_DURATION = dt.timedelta(days=3650)


def _timedelta(seconds: float) -> dt.timedelta:
    if not seconds <= LONGEST_DURATION.total_seconds():  # also catches inf and nan
        raise ValueError(f"too long: at most {LONGEST_DURATION.days} days")
    return dt.timedelta(seconds=seconds)


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration)]


@dataclass(frozen=True)
class PollReminderRule:
    """When non-voters hear about a poll: at `share` of its running time, or `before` its end."""

    share: float | None = None
    before: dt.timedelta | None = None


def parse_poll_reminder(value: str) -> PollReminderRule | None:
    text = value.strip().casefold()
    if text in {"off", "aus", "none", ""}:
        return None
    if text.endswith("%"):
        try:
            percent = float(text[:-1])
        except ValueError:
            percent = -1
        if not 0 < percent < 100:
            raise ValueError("expected a share such as 50%, a span such as 1d, or off")
        return PollReminderRule(share=percent / 100)
    try:
        return PollReminderRule(before=parse_duration(text))
    except ValueError:
        raise ValueError("expected a share such as 50%, a span such as 1d, or off") from None


def parse_offsets(value: str) -> tuple[dt.timedelta, ...]:
    """`7d,1d,2h` (or `off`): spans before a meetup, longest first."""
    text = value.strip().casefold()
    if text in {"off", "aus", "none", ""}:
        return ()
    try:
        offsets = {parse_duration(part) for part in text.split(",") if part.strip()}
    except ValueError:
        raise ValueError("expected spans such as 7d,1d,2h, or off") from None
    if any(offset <= dt.timedelta(0) for offset in offsets):
        raise ValueError("expected spans such as 7d,1d,2h, or off")
    return tuple(sorted(offsets, reverse=True))


def parse_optional_span(value: str) -> dt.timedelta | None:
    text = value.strip().casefold()
    if text in {"off", "aus", "none", ""}:
        return None
    span = parse_duration(text)
    if span <= dt.timedelta(0):
        raise ValueError("expected a span such as 3d, or off")
    return span


def parse_listen(value: str) -> tuple[str, int]:
    """`127.0.0.1:8080`, `[::1]:8080` or `0.0.0.0:8080`: the address the webhook server binds."""
    host, colon, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("expected host:port, such as 127.0.0.1:8080")
    return host, int(port)


def _parse_id_list(value: object) -> object:
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not all(re.fullmatch(r"-?\d+", part) for part in parts):
            raise ValueError("expected comma-separated numeric Telegram user ids")
        return [int(part) for part in parts]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    """Everything the bot can be configured with; `.env.example` documents each variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./data/alumni.db"
    coordinator_ids: Annotated[list[int], NoDecode, BeforeValidator(_parse_id_list)] = Field(
        default_factory=list
    )
    timezone: str = "Europe/Berlin"
    bot_api_base_url: str = TELEGRAM_BASE_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    default_language: Literal["de", "en"] = "de"

    # Delivery pacing: Telegram allows about 30 messages/s overall and 20/min per group.
    send_rate_per_second: float = Field(default=25.0, gt=0)
    group_messages_per_minute: int = Field(default=20, gt=0)
    # Per private chat (Telegram: about one a second, short bursts allowed): the outbox sends
    # up to `send_chat_burst` at once, then one per `send_chat_interval`; 0s = no pacing.
    send_chat_interval: Duration = dt.timedelta(seconds=1)
    send_chat_burst: int = Field(default=3, ge=1)
    send_max_attempts: int = Field(default=5, ge=1)
    send_retry_backoff: Duration = dt.timedelta(seconds=2)
    request_timeout: Duration = dt.timedelta(seconds=20)
    poll_timeout: Duration = dt.timedelta(seconds=30)

    # Check-in rounds
    checkin_schedule: str = "0 10 1-7 */2 mon"
    checkin_duration: Duration = dt.timedelta(days=14)
    checkin_reminders: str = "open+5d,close-2d"
    quiet_hours: str = "20:00-08:00"
    answer_max_chars: int = Field(default=1500, gt=0, le=3500)
    checkin_default_visibility: Literal["all", "coordinators", "anonymous"] = "all"
    checkin_themes_file: str | None = None  # TOML lexicon; empty: the built-in German one

    # Polls: when members who have not voted are reminded: a share of the running time
    # ("50%"), a span before the close ("1d"), or "off"
    poll_reminder: str = "50%"

    # Meetups: reminders before the start (to those who said yes or maybe; the first also to
    # those who have not answered), the latest digest as a pre-read to those who come, the
    # follow-up question after the end; each a span or "off". Counts on announcements are
    # edited at most once per MEETUP_EDIT_PACE per message.
    meetup_reminders: str = "7d,1d,2h"
    meetup_preread: str = "3d"
    meetup_followup: str = "1d"
    meetup_edit_pace: Duration = dt.timedelta(seconds=5)

    # Privacy: how long anything personal is kept
    retention: Duration = dt.timedelta(days=730)

    # Members: how long an invite link made with /invite works
    invite_validity: Duration = dt.timedelta(days=30)

    # Backups: a daily copy of the database into BACKUP_DIR while the bot runs (empty: none;
    # `python -m bot backup` still works then, into ./backups), the newest BACKUP_KEEP kept
    backup_dir: str | None = None
    backup_keep: int = Field(default=7, ge=1)
    # Webhook mode: with WEBHOOK_URL set, Telegram pushes updates to that public https address
    # (a reverse proxy forwards them to WEBHOOK_LISTEN); without it the bot polls. The secret
    # is validated after the URL (field order), so it can tell whether it is required.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen: str = "127.0.0.1:8080"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Europe/Berlin") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_window(cls, value: str) -> str:
        QuietHours.parse(value)
        return value

    @field_validator("checkin_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        # Empty: no automatic rounds; coordinators open them with /round open.
        return CheckinSchedule.parse(value).expression if value.strip() else ""

    @field_validator("checkin_reminders")
    @classmethod
    def _reminder_stages(cls, value: str) -> str:
        parse_reminders(value)
        return value

    @field_validator("checkin_themes_file")
    @classmethod
    def _lexicon_file(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        load_lexicon_file(Path(value.strip()))
        return value.strip()

    @field_validator("backup_dir")
    @classmethod
    def _backup_dir(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @field_validator("poll_reminder")
    @classmethod
    def _poll_reminder(cls, value: str) -> str:
        parse_poll_reminder(value)
        return value.strip()

    @field_validator("meetup_reminders")
    @classmethod
    def _meetup_reminders(cls, value: str) -> str:
        parse_offsets(value)
        return value.strip()

    @field_validator("meetup_preread", "meetup_followup")
    @classmethod
    def _meetup_span(cls, value: str) -> str:
        parse_optional_span(value)
        return value.strip()

    @field_validator("send_chat_interval")
    @classmethod
    def _pacing_interval(cls, value: dt.timedelta) -> dt.timedelta:
        if value < dt.timedelta(0) or value > dt.timedelta(minutes=1):
            raise ValueError("expected a pause between 0s and 60s, such as 1s")
        return value

    @field_validator("retention")
    @classmethod
    def _positive_retention(cls, value: dt.timedelta) -> dt.timedelta:
        # 0 would not mean "keep forever": the purge would erase every closed round at once.
        if value < dt.timedelta(days=1):
            raise ValueError("expected at least one day, such as 730d (there is no 'keep forever')")
        return value

    @field_validator("bot_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("expected an http(s) URL such as https://api.telegram.org/bot")
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", value.get_secret_value().strip()):
            raise ValueError("expected a token from @BotFather, like 123456:ABC-DEF...")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("webhook_url")
    @classmethod
    def _public_https(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(
                "expected the public https address, such as https://bot.example.org/tg"
            )
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value().strip() if value is not None else ""
        if not secret:
            if info.data.get("webhook_url"):
                raise ValueError(
                    "required with WEBHOOK_URL: 1-256 characters of A-Z, a-z, 0-9, _ and -"
                )
            return None
        if not re.fullmatch(WEBHOOK_SECRET_PATTERN, secret):
            raise ValueError("expected 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return SecretStr(secret)

    @field_validator("webhook_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        parse_listen(value)
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not re.match(r"^[a-z0-9]+\+[a-z0-9]+://", value):
            raise ValueError(
                "expected an async SQLAlchemy URL such as sqlite+aiosqlite:///./data/alumni.db"
            )
        return value

    @property
    def quiet(self) -> QuietHours | None:
        return QuietHours.parse(self.quiet_hours)

    @property
    def poll_reminder_rule(self) -> PollReminderRule | None:
        return parse_poll_reminder(self.poll_reminder)

    @property
    def meetup_reminder_offsets(self) -> tuple[dt.timedelta, ...]:
        return parse_offsets(self.meetup_reminders)

    @property
    def meetup_preread_offset(self) -> dt.timedelta | None:
        return parse_optional_span(self.meetup_preread)

    @property
    def meetup_followup_offset(self) -> dt.timedelta | None:
        return parse_optional_span(self.meetup_followup)

    @property
    def webhook_address(self) -> tuple[str, int]:
        return parse_listen(self.webhook_listen)

    @property
    def secrets(self) -> list[str]:
        """What must never appear in a log line: the token and the webhook secret."""
        values = [self.bot_token, self.webhook_secret]
        return [value.get_secret_value() for value in values if value is not None]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def redact(self, text: str) -> str:
        """`text` with the bot token (in any form it may take in a URL) replaced."""
        from bot.logging_setup import redact

        return redact(text, self.secrets)

    def redact_database(self, text: str) -> str:
        """`text` with the DATABASE_URL password (and the bot token) replaced."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        from bot.logging_setup import redact

        secrets = [self.bot_token.get_secret_value()] if self.bot_token else []
        try:
            password = make_url(self.database_url).password
        except ArgumentError:
            password = None
        if password:
            secrets.append(str(password))
        return redact(text, secrets)

    @property
    def token(self) -> str:
        if self.bot_token is None:
            raise SettingsError(
                "BOT_TOKEN: not set; create a bot with @BotFather and put its token in .env"
            )
        return self.bot_token.get_secret_value()


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable and what is expected."""


def load_settings(**overrides: object) -> Settings:
    """Build the settings once; turn pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            variable = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{variable}: {message}")
        raise SettingsError("; ".join(lines)) from None
