"""The admin jobs page and the jobs API: what admins see, the Retry and Cancel buttons, the
JSON shapes, and who may not look."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette

from app.api.openapi import document_of
from app.jobs import JobStore
from app.wiring import Services
from courses.models import Role, User
from courses.models.recordings import JobState, MediaJob, Recording
from tests.app.api.conftest import schema_problems
from tests.app.pages.helpers import flashes, text_of
from tests.conftest import Client
from tests.factories.people import FAST_PASSWORDS, PASSWORD, make_user

# What FFmpeg prints when it fails, at length: the page and the API show it whole.
FFMPEG_ERROR = "ffmpeg exited with status 1:\n" + "\n".join(
    f"[h264 @ 0x55d5c] error while decoding MB {n} 17, bytestream -{n}" for n in range(200)
) + "\n/data/raw/track-3.rtp: Invalid data found when processing input"


@pytest.fixture
def store(services: Services) -> JobStore:
    services.passwords = FAST_PASSWORDS
    return JobStore(services.db, services.clock)


async def _client(make_client: Callable[..., Client], user: User, address: str) -> Client:
    http = make_client(address)
    await http.sign_in(user.email, PASSWORD)
    return http


@pytest.fixture
async def admin(services: Services, store: JobStore,
                make_client: Callable[..., Client]) -> Client:
    user = await make_user(services, Role.ADMIN, name="Ada Admin")
    return await _client(make_client, user, "10.31.0.1")


@pytest.fixture
async def learner(services: Services, store: JobStore,
                  make_client: Callable[..., Client]) -> Client:
    user = await make_user(services, Role.LEARNER, name="Lea Learner")
    return await _client(make_client, user, "10.31.0.2")


async def _recording(services: Services) -> int:
    now = services.clock.now()
    async with services.db.session() as session:
        row = Recording(room_id="activity-1", title="Grand rounds", state="processing",
                        raw_path="recordings/1/raw", started_at=now, created_at=now,
                        updated_at=now)
        session.add(row)
        await session.flush()
        assert row.id is not None
        return row.id


async def _job(store: JobStore, state: JobState, *, recording_id: int | None = None,
               error: str = "", progress: float = 0.0, stage: str = "") -> MediaJob:
    job = await store.create("compose", recording_id, 3)
    assert job.id is not None
    if state in (JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED):
        job = await store.claim_next("host-a:4242") or job
    if stage or progress:
        await store.report_progress(job.id or 0, stage, progress)
    if state == JobState.SUCCEEDED:
        await store.succeed(job.id or 0)
    elif state == JobState.FAILED:
        await store.fail(job.id or 0, error)
    return await store.get(job.id or 0)


def _row(page: str, job_id: int) -> str:
    found = re.search(rf'<tr data-job-id="{job_id}".*?</tr>', page, re.S)
    assert found, f"no row for job {job_id}"
    return found.group(0)


def _visible(row: str, form_class: str) -> bool:
    tag = re.search(rf'<form[^>]*class="inline {form_class}"[^>]*>', row)
    assert tag, form_class
    return " hidden" not in tag.group(0)


async def test_admin_sees_the_jobs_with_progress_errors_and_buttons(
    services: Services, store: JobStore, admin: Client
) -> None:
    recording_id = await _recording(services)
    running = await _job(store, JobState.RUNNING, recording_id=recording_id, progress=42.5,
                         stage="encoding 720p")
    failed = await _job(store, JobState.FAILED, error=FFMPEG_ERROR)
    queued = await _job(store, JobState.QUEUED)
    response = await admin.get("/admin/jobs")
    assert response.status_code == 200
    page = response.text
    assert '<script src="/static/js/jobs.js" defer></script>' in page
    assert "<script>" not in page and "style=" not in page  # the CSP allows neither
    row = _row(page, running.id or 0)
    assert f'<a href="/recordings/{recording_id}">' in row
    assert 'value="42.5"' in row and "<progress" in row
    assert "encoding 720p" in text_of(row) and "42 %" in text_of(row)
    assert "running" in text_of(row) and "host-a:4242" in text_of(row)
    assert "1 / 3" in text_of(row)
    assert _visible(row, "job-cancel") and not _visible(row, "job-retry")
    row = _row(page, failed.id or 0)
    error = re.search(r'<pre class="job-error"[^>]*>(.*?)</pre>', row, re.S)
    assert error and html.unescape(error.group(1)) == FFMPEG_ERROR  # whole, as FFmpeg said
    assert _visible(row, "job-retry") and not _visible(row, "job-cancel")
    row = _row(page, queued.id or 0)
    assert _visible(row, "job-cancel")
    # the buttons' forms carry this session's CSRF token, as a browser would send it
    token = await admin.csrf()
    assert row.count(f'name="csrf_token" value="{token}"') == 2
    # newest first
    order = [int(n) for n in re.findall(r'<tr data-job-id="(\d+)"', page)]
    assert order == sorted(order, reverse=True)
    only_failed = (await admin.get("/admin/jobs", params={"state": "failed"})).text
    assert re.findall(r'<tr data-job-id="(\d+)"', only_failed) == [str(failed.id)]
    assert 'data-state="failed"' in only_failed
    assert (await admin.get("/admin/jobs", params={"state": "bogus"})).status_code == 200


async def test_the_retry_button_queues_a_failed_job_again(
    store: JobStore, admin: Client
) -> None:
    failed = await _job(store, JobState.FAILED, error=FFMPEG_ERROR)
    response = await admin.form(f"/admin/jobs/{failed.id}/retry", {"state": "failed"})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/jobs?state=failed"
    page = (await admin.get(response.headers["location"])).text
    assert flashes(page) == [f"Job {failed.id} (compose) is queued again."]
    row = await store.get(failed.id or 0)
    assert row.state == JobState.QUEUED and row.attempts == 0 and row.error == ""
    again = await admin.form(f"/admin/jobs/{failed.id}/retry")
    assert again.status_code == 303
    page = (await admin.get("/admin/jobs")).text
    assert flashes(page) == [f"Job {failed.id} is queued: only a failed or cancelled job can be "
                             "run again."]


async def test_the_cancel_button_cancels_a_waiting_job(store: JobStore, admin: Client) -> None:
    queued = await _job(store, JobState.QUEUED)
    response = await admin.form(f"/admin/jobs/{queued.id}/cancel")
    assert response.status_code == 303 and response.headers["location"] == "/admin/jobs"
    page = (await admin.get("/admin/jobs")).text
    assert flashes(page) == [f"Job {queued.id} (compose) is cancelled."]
    assert (await store.get(queued.id or 0)).state == JobState.CANCELLED
    row = _row(page, queued.id or 0)
    assert _visible(row, "job-retry") and not _visible(row, "job-cancel")
    await admin.form(f"/admin/jobs/{queued.id}/cancel")
    assert flashes((await admin.get("/admin/jobs")).text) == [
        f"Job {queued.id} already cancelled: there is nothing to cancel."
    ]
    missing = await admin.form("/admin/jobs/99999/cancel")
    assert missing.status_code == 404


async def test_learners_may_not_see_or_touch_jobs(store: JobStore, learner: Client) -> None:
    job = await _job(store, JobState.FAILED, error="boom")
    assert (await learner.get("/admin/jobs")).status_code == 403
    assert (await learner.form(f"/admin/jobs/{job.id}/retry")).status_code == 403
    denied = await learner.get("/api/jobs")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forbidden"
    assert (await learner.api("POST", f"/api/jobs/{job.id}/retry")).status_code == 403
    assert (await store.get(job.id or 0)).state == JobState.FAILED


async def test_anonymous_api_callers_must_sign_in(client: Client) -> None:
    response = await client.get("/api/jobs")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "login_required"


def _conforms(app: Starlette, method: str, path: str, status: int, body: Any) -> None:
    document = document_of(app)
    schema = document["paths"][path][method]["responses"][str(status)]["content"][
        "application/json"]["schema"]
    problems = schema_problems(document, schema, body)
    assert not problems, problems


async def test_the_jobs_api_lists_shows_cancels_and_retries(
    app: Starlette, services: Services, store: JobStore, admin: Client
) -> None:
    recording_id = await _recording(services)
    running = await _job(store, JobState.RUNNING, recording_id=recording_id, progress=12.34,
                         stage="mixing audio")
    failed = await _job(store, JobState.FAILED, error=FFMPEG_ERROR)
    listed = await admin.get("/api/jobs")
    assert listed.status_code == 200
    _conforms(app, "get", "/api/jobs", 200, listed.json())
    jobs = listed.json()["jobs"]
    assert [j["id"] for j in jobs] == [failed.id, running.id]
    first = jobs[1]
    assert first["recording_id"] == recording_id and first["state"] == "running"
    assert first["progress"] == 12.3 and first["stage"] == "mixing audio"
    assert first["attempts"] == 1 and first["max_attempts"] == 3
    assert first["worker"] == "host-a:4242" and first["started_at"]
    assert jobs[0]["error"] == FFMPEG_ERROR  # whole
    only = await admin.get("/api/jobs", params={"state": "failed", "limit": "1"})
    assert [j["id"] for j in only.json()["jobs"]] == [failed.id]
    bad = await admin.get("/api/jobs", params={"state": "exploded", "limit": "0"})
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"state", "limit"}

    one = await admin.get(f"/api/jobs/{failed.id}")
    assert one.status_code == 200 and one.json()["id"] == failed.id
    _conforms(app, "get", "/api/jobs/{id}", 200, one.json())
    missing = await admin.get("/api/jobs/424242")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "job_not_found"

    retried = await admin.api("POST", f"/api/jobs/{failed.id}/retry")
    assert retried.status_code == 200
    _conforms(app, "post", "/api/jobs/{id}/retry", 200, retried.json())
    assert retried.json()["state"] == "queued" and retried.json()["error"] == ""
    twice = await admin.api("POST", f"/api/jobs/{failed.id}/retry")
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "job_not_retryable"

    cancelled = await admin.api("POST", f"/api/jobs/{failed.id}/cancel")
    assert cancelled.status_code == 200
    _conforms(app, "post", "/api/jobs/{id}/cancel", 200, cancelled.json())
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["cancel_requested"]
    again = await admin.api("POST", f"/api/jobs/{failed.id}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "job_not_cancellable"
    # a running job whose worker is not this process: the row still ends cancelled
    stopped = await admin.api("POST", f"/api/jobs/{running.id}/cancel")
    assert stopped.status_code == 200 and stopped.json()["state"] == "cancelled"
    no_csrf = await admin.post(f"/api/jobs/{running.id}/retry")
    assert no_csrf.status_code == 403


async def test_the_page_script_is_served(client: Client) -> None:
    script = await client.get("/static/js/jobs.js")
    assert script.status_code == 200
    assert "data-job-id" in script.text and "INTERVAL_MS = 2000" in script.text
