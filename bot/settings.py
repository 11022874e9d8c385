"""The bot's settings, from the environment and `.env`; unsafe combinations are refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.catalogue_file import DEFAULT_CATALOGUE

# What Telegram accepts as X-Telegram-Bot-Api-Secret-Token.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class Settings(BaseSettings):
    """`Settings()` reads TELEGRAM_BOT_TOKEN, DATABASE_URL, ... (see .env.example)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore"
    )

    telegram_bot_token: SecretStr | None = None
    database_url: str | None = None  # None: storage.default_database_url()
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: Literal["vi", "en"] = "vi"
    bot_api_base_url: str | None = None  # e.g. the emulator, http://127.0.0.1:8081
    admin_telegram_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"  # behind the reverse proxy that terminates TLS
    webhook_port: int = 8443
    catalog_path: Path = DEFAULT_CATALOGUE
    scheduler_enabled: bool = True  # reminders, alert sweeps and delivery (one leader at a time)
    scheduler_retry_seconds: float = Field(default=5.0, gt=0)  # a standby's tries to lead
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # /healthz, /metrics; None: off
    metrics_listen: str = "127.0.0.1"

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Ho_Chi_Minh)") from None
        return value

    @field_validator("bot_api_base_url", "webhook_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Self:
        if self.webhook_url is None:
            return self
        if self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_URL is set but WEBHOOK_SECRET is not: anyone could post updates;"
                " set WEBHOOK_SECRET (1-256 characters A-Z, a-z, 0-9, _ and -)"
            )
        if not _SECRET_TOKEN.match(self.webhook_secret.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET may only hold 1-256 characters A-Z, a-z, 0-9, _, -")
        return self

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def token(self) -> str:
        """The bot token, or a clear error when it is missing (never logged)."""
        if self.telegram_bot_token is None:
            raise MissingTokenError(
                "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather and put it in .env"
            )
        return self.telegram_bot_token.get_secret_value()


class MissingTokenError(ValueError):
    """The bot cannot start without a token."""
