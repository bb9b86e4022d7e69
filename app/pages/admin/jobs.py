"""The media jobs page: what the worker is doing, what failed and why; cancel and retry."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.api.jobs import STATES
from app.api.params import path_id
from app.auth import require_admin, services_of
from app.flash import flash
from app.jobs import JobNotFound
from app.pages._forms import read_form, redirect, render
from courses.errors import Conflict
from courses.models.recordings import JobState

log = structlog.get_logger(__name__)

PAGE_LIMIT = 100


def _back(state: str) -> str:
    return f"/admin/jobs?state={state}" if state in STATES else "/admin/jobs"


async def job_list(request: Request) -> Response:
    require_admin(request)
    state = request.query_params.get("state", "")
    state = state if state in STATES else ""
    jobs = await services_of(request).jobs.store.recent(state=state, limit=PAGE_LIMIT)
    return render(request, "admin/jobs.html",
                  {"jobs": jobs, "state": state, "states": STATES, "limit": PAGE_LIMIT})


async def cancel_job(request: Request) -> Response:
    admin = require_admin(request)
    job_id = path_id(request, "job_id", JobNotFound, "media job")
    form = await read_form(request)
    try:
        job = await services_of(request).jobs.cancel(job_id)
    except Conflict as exc:
        flash(request, exc.message, "warning")
        return redirect(_back(str(form.get("state", ""))))
    log.info("job.cancel_by_admin", job_id=job_id, kind=job.kind, recording_id=job.recording_id,
             attempt=job.attempts, state=job.state, admin_id=admin.id)
    if job.state == JobState.CANCELLED:
        flash(request, f"Job {job_id} ({job.kind}) is cancelled.", "success")
    else:
        flash(request, f"Job {job_id} ({job.kind}) {job.state} before the cancel reached it.",
              "warning")
    return redirect(_back(str(form.get("state", ""))))


async def retry_job(request: Request) -> Response:
    admin = require_admin(request)
    job_id = path_id(request, "job_id", JobNotFound, "media job")
    form = await read_form(request)
    try:
        job = await services_of(request).jobs.retry(job_id)
    except Conflict as exc:
        flash(request, exc.message, "warning")
        return redirect(_back(str(form.get("state", ""))))
    log.info("job.retry_by_admin", job_id=job_id, kind=job.kind, recording_id=job.recording_id,
             attempt=job.attempts, state=job.state, admin_id=admin.id)
    flash(request, f"Job {job_id} ({job.kind}) is queued again.", "success")
    return redirect(_back(str(form.get("state", ""))))
