"""Media jobs, for administrators: state, progress, errors; cancel and retry."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.params import QueryParams, path_id
from app.auth import require_admin, services_of
from app.jobs import JobNotFound
from courses.models.recordings import JobState, MediaJob

log = structlog.get_logger(__name__)

STATES = tuple(s.value for s in JobState)
LIST_LIMIT = 500


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def job_json(job: MediaJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "recording_id": job.recording_id,
        "state": job.state,
        "progress": round(job.progress, 1),
        "stage": job.stage,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "error": job.error,
        "cancel_requested": job.cancel_requested,
        "worker": job.worker,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "next_attempt_at": _iso(job.next_attempt_at),
        "updated_at": _iso(job.updated_at),
    }


_TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
JOB_SCHEMAS: dict[str, dict[str, Any]] = {
    "MediaJob": {
        "type": "object",
        "required": ["id", "kind", "recording_id", "state", "progress", "stage", "attempts",
                     "max_attempts", "error", "cancel_requested", "worker", "created_at",
                     "started_at", "finished_at", "next_attempt_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "description": "What the job does, like compose."},
            "recording_id": {"type": ["integer", "null"]},
            "state": {"type": "string", "enum": list(STATES),
                      "description": "retrying: an attempt failed; the next waits for "
                                     "next_attempt_at."},
            "progress": {"type": "number", "minimum": 0, "maximum": 100,
                         "description": "Percent of the whole job."},
            "stage": {"type": "string", "description": "What the job is doing now."},
            "attempts": {"type": "integer", "description": "Attempts started so far."},
            "max_attempts": {"type": "integer"},
            "error": {"type": "string", "description": "Why the last attempt failed, whole "
                                                       "(FFmpeg's error text included)."},
            "cancel_requested": {"type": "boolean"},
            "worker": {"type": "string", "description": "The process running (or that ran) "
                                                        "it: host:pid."},
            "created_at": _TIME, "started_at": _TIME, "finished_at": _TIME,
            "next_attempt_at": _TIME, "updated_at": _TIME,
        },
    },
}


def job_id(request: Request) -> int:
    return path_id(request, "id", JobNotFound, "media job")


async def list_jobs(request: Request) -> Response:
    """
    summary: Find media jobs
    description: Administrators only. Newest first.
    parameters:
      - {name: state, in: query, description: Only jobs in this state.,
         schema: {type: string, enum: [queued, running, retrying, succeeded, failed,
         cancelled]}}
      - {name: limit, in: query, description: At most this many (default 100).,
         schema: {type: integer, minimum: 1, maximum: 500, default: 100}}
    responses:
      200:
        description: The jobs found.
        content:
          application/json:
            schema:
              type: object
              required: [jobs]
              properties:
                jobs: {type: array, items: {$ref: '#/components/schemas/MediaJob'}}
      401: {description: Not signed in.}
      403: {description: Not an administrator.}
      422: {description: "A query parameter is malformed: `error.fields` names it."}
    """
    require_admin(request)
    params = QueryParams(request)
    state = params.choice("state", STATES)
    limit = params.integer("limit", 100, 1, LIST_LIMIT)
    params.check()
    jobs = await services_of(request).jobs.store.recent(state=state, limit=limit)
    return JSONResponse({"jobs": [job_json(j) for j in jobs]})


async def get_job(request: Request) -> Response:
    """
    summary: One media job
    description: Administrators only.
    responses:
      200:
        description: The job.
        content: {application/json: {schema: {$ref: '#/components/schemas/MediaJob'}}}
      401: {description: Not signed in.}
      403: {description: Not an administrator.}
      404: {description: No such job.}
    """
    require_admin(request)
    job = await services_of(request).jobs.store.get(job_id(request))
    return JSONResponse(job_json(job))


async def cancel_job(request: Request) -> Response:
    """
    summary: Cancel a media job
    description: >-
      Administrators only. A waiting job is cancelled at once; a running one is stopped
      (its FFmpeg processes too) and ends cancelled. Answers with the job afterwards.
    responses:
      200:
        description: The job, cancelled.
        content: {application/json: {schema: {$ref: '#/components/schemas/MediaJob'}}}
      401: {description: Not signed in.}
      403: {description: "Not an administrator, or the CSRF token is missing."}
      404: {description: No such job.}
      409: {description: The job already finished.}
    """
    admin = require_admin(request)
    jid = job_id(request)
    job = await services_of(request).jobs.cancel(jid)
    log.info("job.cancel_by_admin", job_id=jid, kind=job.kind, recording_id=job.recording_id,
             attempt=job.attempts, state=job.state, admin_id=admin.id, via="api")
    return JSONResponse(job_json(job))


async def retry_job(request: Request) -> Response:
    """
    summary: Run a failed or cancelled media job again
    description: >-
      Administrators only. The job goes back to the queue with its attempts reset and its
      error cleared.
    responses:
      200:
        description: The job, queued again.
        content: {application/json: {schema: {$ref: '#/components/schemas/MediaJob'}}}
      401: {description: Not signed in.}
      403: {description: "Not an administrator, or the CSRF token is missing."}
      404: {description: No such job.}
      409: {description: The job is not failed or cancelled.}
    """
    admin = require_admin(request)
    jid = job_id(request)
    job = await services_of(request).jobs.retry(jid)
    log.info("job.retry_by_admin", job_id=jid, kind=job.kind, recording_id=job.recording_id,
             attempt=job.attempts, state=job.state, admin_id=admin.id, via="api")
    return JSONResponse(job_json(job))
