"""The jobs page in headless Chromium against a real server: the progress bar follows the
job's row without the page reloading, a failure shows its error and a Retry button."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.jobs import JobStore
from app.settings import Environment, Settings
from app.wiring import Services, build_services
from courses.models import Role
from courses.models.recordings import JobState, MediaJob
from tests.browser.conftest import LiveServer
from tests.factories.people import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _services(server: LiveServer) -> Services:
    return build_services(Settings(
        ROUNDS_ENV=Environment.TEST, DATA_DIR=server.data_dir,
        DATABASE_URL=server.database_url,
        SECRET_KEY="seed-only-secret-key-0123456789abcdefghij",
    ))


async def _running_job(services: Services) -> int:
    """A job some worker is running (inserted as such: the server's own runner never takes
    it, having no handler for it anyway)."""
    now = services.clock.now()
    async with services.db.session() as session:
        job = MediaJob(kind="compose", state=JobState.RUNNING, attempts=1, progress=10.0,
                       stage="decoding", worker="worker-host:77", created_at=now,
                       started_at=now, updated_at=now)
        session.add(job)
        await session.flush()
        assert job.id is not None
        return job.id


async def test_the_progress_bar_follows_the_job_without_reloading(
    live_server: LiveServer, browser: Any
) -> None:
    services = _services(live_server)
    try:
        admin = await make_user(services, Role.ADMIN)
        job_id = await _running_job(services)
        store = JobStore(services.db, services.clock)
        context = await browser.new_context()
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(live_server.url + "/signin?next=/admin/jobs")
        await page.get_by_label("Email").fill(admin.email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(live_server.url + "/admin/jobs")
        bar = f'tr[data-job-id="{job_id}"] progress'
        assert await page.eval_on_selector(bar, "el => el.value") == 10
        await page.evaluate("window.__notReloaded = true")

        await store.report_progress(job_id, "encoding 720p", 60.0)
        for _ in range(80):  # polled from here: the CSP forbids wait_for_function's eval
            if await page.eval_on_selector(bar, "el => el.value") == 60:
                break
            await asyncio.sleep(0.1)
        assert await page.eval_on_selector(bar, "el => el.value") == 60
        row = page.locator(f'tr[data-job-id="{job_id}"]')
        assert "encoding 720p" in await row.inner_text()
        assert "60 %" in await row.inner_text()
        assert await page.evaluate("window.__notReloaded") is True

        await store.fail(job_id, "ffmpeg exited with status 1:\nInvalid data found")
        retry = row.locator("form.job-retry button")
        await retry.wait_for(state="visible", timeout=8000)
        assert not await row.locator("form.job-cancel").is_visible()
        assert "Invalid data found" in await row.locator("pre.job-error").inner_text()
        assert await page.evaluate("window.__notReloaded") is True

        await retry.click()
        await page.wait_for_load_state()
        assert f"Job {job_id} (compose) is queued again." in await page.inner_text("main")
        assert errors == []
        await context.close()
    finally:
        await services.close()
