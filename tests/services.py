"""Real PostgreSQL and Redis for the tests, and the rule that CI never skips them.

Locally, a test whose server is down is skipped with the reason. With ``CI=true`` it fails
instead, because CI runs on a machine where both servers are up (``.ci/run`` starts them).
"""

from __future__ import annotations

import os
import shutil
import socket

import pytest

POSTGRES_HOST = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("TEST_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("TEST_POSTGRES_USER", "postgres")
POSTGRES_ADMIN_DB = os.environ.get("TEST_POSTGRES_DB", "test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str) -> None:
    """Skip locally, fail in CI: a missing service there is a broken CI, not a pass."""
    if in_ci():
        pytest.fail(f"{what} is not available, and CI=true forbids skipping", pytrace=False)
    pytest.skip(f"{what} is not available")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def postgres_reachable() -> bool:
    return _reachable(POSTGRES_HOST, POSTGRES_PORT)


def redis_reachable() -> bool:
    return _reachable("127.0.0.1", 6379)


def chromium_path() -> str | None:
    return CHROMIUM if shutil.which(CHROMIUM) else None


def postgres_url(database: str) -> str:
    return f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{database}"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
