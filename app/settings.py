"""One typed Settings object, read from the environment. Nothing else reads ``os.environ``."""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message says what to set."""


class Settings(BaseSettings):
    """Every knob Rounds has. Environment variables use the upper-case field name."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    environment: Environment = Field(default=Environment.DEVELOPMENT, alias="ROUNDS_ENV")
    data_dir: Path = Field(default=Path("data"), alias="DATA_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    redis_url: str = Field(default="", alias="REDIS_URL")
    secret_key: str = Field(default="", alias="SECRET_KEY")
    media_root: Path | None = Field(default=None, alias="MEDIA_ROOT")
    # The address people reach Rounds at, for links in mail; defaults to http://HOST:PORT.
    base_url: str = Field(default="", alias="BASE_URL")
    host: str = Field(default="127.0.0.1", alias="HOST")
    port: int = Field(default=8000, alias="PORT", ge=1, le=65535)

    # accounts
    signup_default: bool = Field(default=True, alias="SIGNUP_ENABLED")
    session_max_age: int = Field(default=14 * 24 * 3600, alias="SESSION_MAX_AGE", ge=300)
    secure_cookies: bool | None = Field(default=None, alias="SECURE_COOKIES")
    login_failures_per_account: int = Field(default=5, alias="LOGIN_FAILURES_PER_ACCOUNT", ge=1)
    login_attempts_per_address: int = Field(default=30, alias="LOGIN_ATTEMPTS_PER_ADDRESS", ge=1)
    login_window_seconds: int = Field(default=15 * 60, alias="LOGIN_WINDOW_SECONDS", ge=1)
    password_reset_ttl_seconds: int = Field(default=3600, alias="PASSWORD_RESET_TTL", ge=60)

    # mail: smtp://user:pass@host:port or smtps://...; empty means "log it"
    smtp_url: str = Field(default="", alias="SMTP_URL")
    mail_from: str = Field(default="Rounds <rounds@localhost>", alias="MAIL_FROM")

    # live rooms (WebRTC)
    # Comma-separated stun:/turn: URLs, e.g. "stun:turn.example.org:3478,turn:turn.example.org:3478"
    ice_servers: str = Field(default="", alias="ICE_SERVERS")
    turn_username: str = Field(default="", alias="TURN_USERNAME")
    turn_credential: str = Field(default="", alias="TURN_CREDENTIAL")
    # Comma-separated local IP addresses to offer as host candidates; empty: all but loopback.
    rtc_host_addresses: str = Field(default="", alias="RTC_HOST_ADDRESSES")
    # "50000-50999": the UDP ports media uses (open them in the firewall); empty: any.
    rtc_udp_ports: str = Field(default="", alias="RTC_UDP_PORTS")
    max_participants_per_room: int = Field(default=100, alias="MAX_PARTICIPANTS_PER_ROOM", ge=2)

    # recordings
    # presenter (screen share large), speaker (active speaker large) or grid
    recording_layout: Literal["presenter", "speaker", "grid"] = Field(
        default="presenter", alias="RECORDING_LAYOUT"
    )
    # The FFmpeg binary composing recordings; empty: the one imageio-ffmpeg installed.
    ffmpeg_binary: str = Field(default="", alias="FFMPEG_BINARY")
    # libx264 preset for the MP4 and the ladder (slower presets: smaller files, more CPU).
    compose_preset: str = Field(default="veryfast", alias="COMPOSE_PRESET")
    # Hours to keep raw tracks after the outputs were verified; 0: remove at once, -1: keep.
    raw_retention_hours: int = Field(default=168, alias="RECORDING_RAW_RETENTION_HOURS", ge=-1)

    # media jobs (app/jobs): in the web process, or in `rounds worker` when REDIS_URL is set
    media_job_concurrency: int = Field(default=1, alias="MEDIA_JOB_CONCURRENCY", ge=1, le=64)
    media_job_max_attempts: int = Field(default=3, alias="MEDIA_JOB_MAX_ATTEMPTS", ge=1, le=20)
    # Seconds before the first retry; each further retry waits twice as long.
    media_job_retry_delay: float = Field(default=10.0, alias="MEDIA_JOB_RETRY_DELAY", ge=0,
                                         le=86400)
    # An attempt running longer than this many seconds is stopped and counts as failed.
    media_job_timeout: int = Field(default=4 * 3600, alias="MEDIA_JOB_TIMEOUT", ge=10)
    # With Redis: a job whose worker is silent this many seconds runs again on another.
    media_job_heartbeat: int = Field(default=30, alias="MEDIA_JOB_HEARTBEAT", ge=1, le=3600)
    media_job_queue: str = Field(default="rounds:media", alias="MEDIA_JOB_QUEUE",
                                 min_length=1, max_length=100, pattern=r"^[A-Za-z0-9:_.-]+$")

    # start-up behaviour
    seed_demo: bool | None = Field(default=None, alias="SEED_DEMO")
    migrate_on_start: bool = Field(default=True, alias="MIGRATE_ON_START")
    log_format: str = Field(default="", alias="LOG_FORMAT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")

    # request limits
    max_body_bytes: int = Field(default=1_048_576, alias="MAX_BODY_BYTES", ge=1024)

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in ("", "console", "json"):
            raise ValueError("LOG_FORMAT must be 'console' or 'json'")
        return value

    @field_validator("rtc_udp_ports")
    @classmethod
    def _port_range(cls, value: str) -> str:
        if value:
            low, sep, high = value.partition("-")
            if not (sep and low.isdigit() and high.isdigit() and 1 <= int(low) <= int(high)
                    <= 65535):
                raise ValueError("RTC_UDP_PORTS must look like 50000-50999")
        return value

    @property
    def udp_port_range(self) -> tuple[int, int] | None:
        if not self.rtc_udp_ports:
            return None
        low, _, high = self.rtc_udp_ports.partition("-")
        return int(low), int(high)

    @property
    def ice_server_urls(self) -> list[str]:
        return [u.strip() for u in self.ice_servers.split(",") if u.strip()]

    @property
    def host_addresses(self) -> list[str]:
        return [a.strip() for a in self.rtc_host_addresses.split(",") if a.strip()]

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rounds.db').as_posix()}"

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_ffmpeg(self) -> str:
        if self.ffmpeg_binary:
            return self.ffmpeg_binary
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())

    @property
    def effective_media_root(self) -> Path:
        return self.media_root if self.media_root is not None else self.data_dir / "media"

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.is_production

    @property
    def should_seed_demo(self) -> bool:
        if self.seed_demo is not None:
            return self.seed_demo
        return self.environment is Environment.DEVELOPMENT

    @property
    def effective_log_format(self) -> str:
        if self.log_format:
            return self.log_format
        return "json" if self.is_production else "console"

    def resolve_secret_key(self) -> str:
        """The signing key for sessions and tokens.

        Production refuses to start without ``SECRET_KEY``. Development makes one once and
        keeps it in the data folder, so sessions survive restarts.
        """
        if self.secret_key:
            if len(self.secret_key) < 32:
                raise ConfigurationError(
                    "SECRET_KEY is too short: use at least 32 random characters, for example "
                    "the output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            return self.secret_key
        if self.is_production:
            raise ConfigurationError(
                "SECRET_KEY is not set. In production Rounds will not invent one: set SECRET_KEY "
                "to at least 32 random characters (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))') and keep it the same across restarts."
            )
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key + "\n")
        return key
