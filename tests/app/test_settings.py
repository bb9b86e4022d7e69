"""Settings: safe defaults, the secret key rules, database URLs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.db import UnsupportedDatabase, async_url, sync_url
from app.settings import ConfigurationError, Environment, Settings


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    settings = Settings(ROUNDS_ENV=Environment.PRODUCTION, DATA_DIR=tmp_path, SECRET_KEY="")
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        settings.resolve_secret_key()
    assert not (tmp_path / "secret_key").exists()


def test_development_makes_a_key_once_and_keeps_it_private(tmp_path: Path) -> None:
    settings = Settings(ROUNDS_ENV=Environment.DEVELOPMENT, DATA_DIR=tmp_path / "d", SECRET_KEY="")
    first = settings.resolve_secret_key()
    second = Settings(DATA_DIR=tmp_path / "d", SECRET_KEY="").resolve_secret_key()
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "d" / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_short_secret_key_is_refused_with_advice(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least 32"):
        Settings(DATA_DIR=tmp_path, SECRET_KEY="short").resolve_secret_key()


def test_defaults_are_embedded_sqlite_and_secure_cookies_only_in_production(
    tmp_path: Path,
) -> None:
    dev = Settings(DATA_DIR=tmp_path)
    assert dev.effective_database_url == f"sqlite:///{tmp_path.as_posix()}/rounds.db"
    assert dev.should_seed_demo and not dev.cookies_secure
    prod = Settings(ROUNDS_ENV=Environment.PRODUCTION, DATA_DIR=tmp_path)
    assert prod.cookies_secure and not prod.should_seed_demo
    assert prod.effective_log_format == "json"


def test_database_urls_get_the_async_and_sync_drivers() -> None:
    assert async_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert sync_url("sqlite+aiosqlite:///x.db").drivername == "sqlite"
    with pytest.raises(UnsupportedDatabase, match="supports sqlite"):
        async_url("mysql://u@h/db")
