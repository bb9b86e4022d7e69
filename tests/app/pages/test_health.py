"""Liveness and readiness answer without a session, and readiness reports the database."""

from __future__ import annotations

import pytest

from app.wiring import Services
from tests.conftest import Client


async def test_healthz_answers_ok(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_the_database(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_readyz_is_503_when_the_database_does_not_answer(
    client: Client, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused() -> None:
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(services.db, "ping", refused)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable", "checks": {"database": "unreachable: ConnectionRefusedError"}}
    assert (await client.get("/healthz")).status_code == 200  # alive, just not ready


async def test_health_checks_need_no_session_cookie(client: Client) -> None:
    for path in ("/healthz", "/readyz"):
        response = await client.get(path)
        assert response.status_code == 200
        assert "rounds_session" not in response.headers.get("set-cookie", "")
