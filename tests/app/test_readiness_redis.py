"""/readyz checks Redis when REDIS_URL is set, against the real server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.settings import Environment, Settings
from app.wiring import build_services
from tests import services as svc


def _settings(tmp_path: Path, redis_url: str) -> Settings:
    return Settings(
        ROUNDS_ENV=Environment.TEST, DATA_DIR=tmp_path, REDIS_URL=redis_url,
        SECRET_KEY="ready-test-secret-key-0123456789abcdefghij", SEED_DEMO=False,
    )


async def _readyz(settings: Settings) -> httpx.Response:
    app = create_app(settings, services=build_services(settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.get("/readyz")


@pytest.mark.redis
async def test_readyz_reports_redis_ok(tmp_path: Path) -> None:
    if not svc.redis_reachable():
        svc.unavailable("Redis at 127.0.0.1:6379")
    response = await _readyz(_settings(tmp_path, svc.REDIS_URL))
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_readyz_is_503_when_redis_is_unreachable(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    response = await _readyz(_settings(tmp_path, "redis://127.0.0.1:9/0"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("unreachable")
