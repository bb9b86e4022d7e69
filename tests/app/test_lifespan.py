"""Start-up on a fresh machine: migrations applied, demo seeded once, logins announced."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app import migrate
from app.main import create_app
from app.settings import Environment, Settings


async def _start(settings: Settings) -> int:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            page = await http.get("/catalog")
            assert page.status_code == 200
            return page.text.count('class="card"')


async def test_first_start_migrates_and_seeds_the_demo_then_not_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(ROUNDS_ENV=Environment.DEVELOPMENT, DATA_DIR=tmp_path / "data",
                        LOG_FORMAT="console")
    assert await _start(settings) == 2
    url = settings.effective_database_url
    assert migrate.current_revision(url) == migrate.head_revision(url)
    printed = capsys.readouterr().out
    assert "Demo logins" in printed and "learner@demo.rounds.example" in printed
    first = (tmp_path / "data" / "demo-logins.txt").read_text()
    assert await _start(settings) == 2  # no second copy of the demo courses
    assert (tmp_path / "data" / "demo-logins.txt").read_text() == first


async def test_production_does_not_seed(tmp_path: Path) -> None:
    settings = Settings(ROUNDS_ENV=Environment.PRODUCTION, DATA_DIR=tmp_path / "data",
                        SECRET_KEY="prod-test-secret-key-0123456789abcdefghij",
                        LOG_FORMAT="json")
    assert await _start(settings) == 0
    assert not (tmp_path / "data" / "demo-logins.txt").exists()
