"""Fixtures: a migrated database on SQLite and on the real PostgreSQL, services, the app,
and an HTTP client that keeps cookies and knows the CSRF token."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from starlette.applications import Starlette

from app import migrate
from app.main import create_app
from app.settings import Environment, Settings
from app.wiring import Services, build_services
from courses.models import metadata
from tests import services as svc

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# A fixed 'now' for services: Monday 1 Dec 2026, 12:00 UTC. Tests move it with clock.at.
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


# -- databases ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of its own for this test run, migrated to head, dropped at the end."""
    if not svc.postgres_reachable():
        yield ""
        return
    name = f"rounds_test_{os.getpid()}"
    admin = svc.postgres_url(svc.POSTGRES_ADMIN_DB)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = svc.postgres_url(name)
    migrate.upgrade(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_postgres(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


BOTH_DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BOTH_DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_database: str
) -> str:
    """The same test runs on SQLite and on PostgreSQL, each freshly migrated and empty."""
    return fresh_database(request.param, tmp_path, sqlite_template, postgres_database)


def fresh_database(kind: str, tmp_path: Path, sqlite_template: Path, postgres_database: str) -> str:
    """A migrated, empty database of ``kind`` ("sqlite" or "postgresql") for one test."""
    if kind == "sqlite":
        path = tmp_path / "rounds.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    if not postgres_database:
        svc.unavailable("PostgreSQL at 127.0.0.1:5432")
    _truncate_postgres(postgres_database)
    return postgres_database


# -- services and app ----------------------------------------------------------------------
@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        ROUNDS_ENV=Environment.TEST,
        DATA_DIR=tmp_path / "data",
        DATABASE_URL=database_url,
        SECRET_KEY=TEST_SECRET,
        SEED_DEMO=False,
        MIGRATE_ON_START=False,
        LOG_FORMAT="console",
    )


@pytest.fixture
async def services(settings: Settings, clock: MovableClock) -> AsyncIterator[Services]:
    built = build_services(settings, clock=clock)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
def app(settings: Settings, services: Services) -> Starlette:
    return create_app(settings, services=services)


class Client(httpx.AsyncClient):
    """An HTTP client for the app that signs in and sends the CSRF token like a browser."""

    async def csrf(self) -> str:
        response = await self.get("/api/session")
        token: str = response.json()["csrf_token"]
        return token

    async def form(self, url: str, data: dict[str, object] | None = None) -> httpx.Response:
        """POST a form as the browser would, CSRF token included."""
        fields = dict(data or {})
        fields["csrf_token"] = await self.csrf()
        return await self.post(url, data=fields)

    async def api(self, method: str, url: str, json: object = None) -> httpx.Response:
        """Call the JSON API with the session cookie and the X-CSRF-Token header."""
        headers = {"X-CSRF-Token": await self.csrf()}
        return await self.request(method, url, json=json, headers=headers)

    async def sign_in(self, email: str, password: str) -> httpx.Response:
        response = await self.form("/signin", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[Client]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with Client(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def make_client(app: Starlette) -> AsyncIterator[object]:
    """Further clients (other people, other addresses) on the same app."""
    opened: list[Client] = []

    def factory(address: str = "127.0.0.1") -> Client:
        transport = httpx.ASGITransport(app=app, client=(address, 50001))
        http = Client(transport=transport, base_url="http://testserver")
        opened.append(http)
        return http

    yield factory
    for http in opened:
        await http.aclose()
