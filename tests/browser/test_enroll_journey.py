"""A learner signs in, finds a course in the catalog, enrolls and sees it on the dashboard,
in Debian's headless Chromium against a real server process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.settings import Environment, Settings
from app.wiring import build_services
from courses.models import Role
from tests.browser.conftest import LiveServer
from tests.factories.catalog import make_course, make_live
from tests.factories.people import PASSWORD, make_user

pytestmark = pytest.mark.browser


async def _seed(server: LiveServer) -> dict[str, Any]:
    settings = Settings(
        ROUNDS_ENV=Environment.TEST, DATA_DIR=server.data_dir, DATABASE_URL=server.database_url,
        SECRET_KEY="seed-only-secret-key-0123456789abcdefghij",
    )
    services = build_services(settings)
    try:
        admin = await make_user(services, Role.ADMIN)
        learner = await make_user(services, Role.LEARNER, name="Dr. Jamie Rivera",
                                  email="jamie.rivera@hospital.example.org")
        course = await make_course(
            services, admin, title="Sepsis Recognition in the ED",
            summary="Early warning scores and the hour-1 bundle.", tags="emergency, sepsis",
        )
        await make_course(services, admin, title="Wound Care Essentials", tags="nursing")
        start = datetime.now(UTC) + timedelta(days=3)
        await make_live(services, admin, course, starts_at=start, title="Hour-1 bundle workshop")
        return {"learner": learner, "course": course}
    finally:
        await services.close()


async def test_learner_finds_enrolls_and_sees_course_on_dashboard(
    live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    seeded = await _seed(live_server)
    context = await browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(live_server.url + "/dashboard")
        assert page.url.startswith(live_server.url + "/signin")

        await page.get_by_label("Email").fill(seeded["learner"].email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(live_server.url + "/dashboard")
        assert await page.get_by_text("You are not enrolled in any course yet").is_visible()

        nav = page.get_by_role("navigation", name="Main")
        await nav.get_by_role("link", name="Catalog").click()
        await page.get_by_label("Search").fill("sepsis")
        await page.get_by_role("button", name="Search").click()
        await page.wait_for_url("**/catalog?q=sepsis**")
        results = page.get_by_role("list", name="Courses")
        assert await results.get_by_role("link", name="Sepsis Recognition in the ED").count() == 1
        assert await results.get_by_role("link", name="Wound Care Essentials").count() == 0

        await results.get_by_role("link", name="Sepsis Recognition in the ED").click()
        await page.get_by_role("button", name="Enroll").click()
        await page.get_by_text("You are enrolled in this course.").wait_for()

        await nav.get_by_role("link", name="My learning").click()
        await page.wait_for_url(live_server.url + "/dashboard")
        assert await page.get_by_role("link", name="Sepsis Recognition in the ED").is_visible()
        assert await page.get_by_role("link", name="Hour-1 bundle workshop").is_visible()
        await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        assert errors == []
    finally:
        await context.close()
