"""Recordings: what the caller may watch, progress heartbeats, and publishing (faculty, admins)."""

from __future__ import annotations

import posixpath
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import notify
from app.api.json import only_fields, read_json
from app.api.params import path_id
from app.auth import require_user, services_of
from app.media_files import CHAPTERS, MASTER, POSTER, RecordingFiles
from courses.recordings import RecordingNotFound, RecordingView
from courses.watching import WatchState

log = structlog.get_logger(__name__)

EDITABLE = ("title", "description", "chapters")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def media_url(view: RecordingView, name: str) -> str:
    return f"/recordings/{view.id}/media/{name}"


def progress_json(state: WatchState) -> dict[str, Any]:
    return {
        "watched_seconds": state.watched_seconds,
        "percent": state.percent,
        "intervals": [[s, e] for s, e in state.intervals],
        "position_seconds": state.position_seconds,
        "resume_at": state.resume_at,
        "completed_at": _iso(state.completed_at),
    }


def recording_json(
    view: RecordingView, files: RecordingFiles | None = None, progress: WatchState | None = None
) -> dict[str, Any]:
    """The summary; with ``files``, the detail (chapters, media addresses, renditions)."""
    recording = view.recording
    course = view.course
    data: dict[str, Any] = {
        "id": view.id,
        "title": recording.title,
        "state": recording.state,
        "visibility": recording.visibility,
        "course": {"id": course.id, "slug": course.slug, "title": course.title}
        if course else None,
        "duration_seconds": recording.duration_seconds,
        "started_at": _iso(recording.started_at),
        "published_activity_id": recording.published_activity_id,
        "can_manage": view.can_manage,
        "progress": progress_json(progress) if progress else None,
    }
    if files is not None:
        ready = view.is_ready and files.folder is not None
        mp4 = files.mp4 if ready else None
        data.update(
            description=recording.description,
            chapters=[{"start": c.start, "title": c.title} for c in view.chapters],
            master_url=media_url(view, MASTER) if ready and files.exists(MASTER) else None,
            mp4_url=media_url(view, mp4.name) if mp4 else None,
            poster_url=media_url(view, POSTER) if ready and files.exists(POSTER) else None,
            chapters_url=media_url(view, CHAPTERS) if ready else None,
            renditions=[
                {"uri": media_url(view, posixpath.join(posixpath.dirname(MASTER), r.uri)),
                 "bandwidth": r.bandwidth, "width": r.width,
                 "height": r.height, "codecs": r.codecs}
                for r in (files.renditions() if ready else [])
            ],
        )
    return data


def recording_id(request: Request) -> int:
    return path_id(request, "id", RecordingNotFound, "recording")


def files_of(request: Request, view: RecordingView) -> RecordingFiles:
    return RecordingFiles(services_of(request).settings.effective_media_root, view.recording)


async def _detail(request: Request, view: RecordingView, progress: WatchState) -> Response:
    return JSONResponse(recording_json(view, files_of(request, view), progress))


async def list_recordings(request: Request) -> Response:
    """
    summary: Recordings the caller may watch
    description: >-
      Newest first. Administrators see every recording; faculty the recordings of the courses
      they teach (in any state); everyone the READY recordings they were in the room for, and
      the published ones of the courses they are enrolled in. `progress` is the caller's.
    responses:
      200:
        description: The recordings.
        content:
          application/json:
            schema:
              type: object
              required: [recordings]
              properties:
                recordings: {type: array, items: {$ref: '#/components/schemas/RecordingSummary'}}
      401: {description: Not signed in.}
    """
    user = require_user(request)
    async with services_of(request).unit() as unit:
        views = await unit.recordings.visible(user)
        progress = await unit.watching.progress_of(user.id or 0, [v.recording for v in views])
    return JSONResponse({"recordings": [recording_json(v, progress=progress.get(v.id))
                                        for v in views]})


async def get_recording(request: Request) -> Response:
    """
    summary: One recording, with chapters, media addresses and the caller's progress
    description: >-
      `master_url` is the HLS master playlist, `mp4_url` the single-file download, and
      `renditions` the ladder's rungs as the master playlist lists them (empty until READY).
      A recording the caller may not see does not exist for them (404).
    responses:
      200:
        description: The recording.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/RecordingDetail'}
      401: {description: Not signed in.}
      404: {description: "No such recording, or not one the caller may see."}
    """
    user = require_user(request)
    rid = recording_id(request)
    async with services_of(request).unit() as unit:
        view = await unit.recordings.view(rid, user)
        progress = await unit.watching.progress(view.recording, user.id or 0)
    return await _detail(request, view, progress)


async def update_recording(request: Request) -> Response:
    """
    summary: Change a recording's title, description or chapters
    description: >-
      The course's faculty and administrators. `chapters` is a list of `{start, title}` (start
      in seconds, within the recording) or the edit form's text: one `m:ss Title` or
      `h:mm:ss Title` a line. A published recording's on-demand activity follows the change.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/RecordingPatch'}
    responses:
      200:
        description: The changed recording.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/RecordingDetail'}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not this course's faculty nor an administrator, or the CSRF token is
        missing."}
      404: {description: "No such recording, or not one the caller may see."}
      422: {description: "Some fields are invalid: `error.fields` names each."}
    """
    user = require_user(request)
    rid = recording_id(request)
    data = await read_json(request)
    only_fields(data, EDITABLE)
    async with services_of(request).unit() as unit:
        view = await unit.recordings.update(rid, data, user)
        progress = await unit.watching.progress(view.recording, user.id or 0)
    return await _detail(request, view, progress)


async def publish_recording(request: Request) -> Response:
    """
    summary: Publish a recording as an on-demand activity of its course
    description: >-
      The course's faculty and administrators; the recording must be READY and belong to a
      course (a meeting's recording stays private). Makes the activity (or brings it up to
      date), after which the course's enrolled learners may watch. The body may carry the
      same fields as PATCH, applied first; an empty body is fine.
    requestBody:
      required: false
      content:
        application/json:
          schema: {$ref: '#/components/schemas/RecordingPatch'}
    responses:
      200:
        description: The published recording.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/RecordingDetail'}
      401: {description: Not signed in.}
      403: {description: "Not this course's faculty nor an administrator, or the CSRF token is
        missing."}
      404: {description: "No such recording, or not one the caller may see."}
      409: {description: "Not READY yet, or it belongs to no course."}
      422: {description: "Some fields are invalid: `error.fields` names each."}
    """
    user = require_user(request)
    rid = recording_id(request)
    data = await read_json(request) if await request.body() else {}
    only_fields(data, EDITABLE)
    async with services_of(request).unit() as unit:
        newly_published = not (await unit.recordings.managed(rid, user)).is_published
        view = await unit.recordings.publish(rid, user, data)
        progress = await unit.watching.progress(view.recording, user.id or 0)
    if newly_published:
        await notify.recording_published(services_of(request), rid)
    return await _detail(request, view, progress)


async def compose_recording(request: Request) -> Response:
    """
    summary: Compose a recording again
    description: >-
      The course's faculty and administrators. Queues a new composition from the raw tracks
      in the given layout (`presenter`: a screen share large; `speaker`: the active speaker
      large; `grid`). A ready recording stays playable until the new outputs are verified.
      Refused while the recording is still recording or composing, while a job for it is
      unfinished, or once retention removed its raw tracks.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/ComposeRequest'}
    responses:
      202:
        description: The queued job; follow it at /api/jobs/{id}.
        content: {application/json: {schema: {$ref: '#/components/schemas/MediaJob'}}}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not this course's faculty nor an administrator, or the CSRF token is
        missing."}
      404: {description: "No such recording, or not one the caller may see."}
      409: {description: "Recording or composing now, or its raw tracks are gone."}
      422: {description: "`layout` is not one of presenter, speaker, grid."}
    """
    from app.api.jobs import job_json
    from app.compose_job import compose_again

    user = require_user(request)
    rid = recording_id(request)
    data = await read_json(request)
    only_fields(data, ("layout",))
    job = await compose_again(services_of(request), rid, data.get("layout"), user)
    return JSONResponse(job_json(job), status_code=202)


async def unpublish_recording(request: Request) -> Response:
    """
    summary: Keep a recording private again
    description: >-
      The course's faculty and administrators. Its on-demand activity is removed, so the
      course's learners no longer see it; what they watched is kept and counts again if it is
      published anew.
    responses:
      200:
        description: The private recording.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/RecordingDetail'}
      401: {description: Not signed in.}
      403: {description: "Not this course's faculty nor an administrator, or the CSRF token is
        missing."}
      404: {description: "No such recording, or not one the caller may see."}
    """
    user = require_user(request)
    rid = recording_id(request)
    async with services_of(request).unit() as unit:
        view = await unit.recordings.make_private(rid, user)
        progress = await unit.watching.progress(view.recording, user.id or 0)
    return await _detail(request, view, progress)


async def watch(request: Request) -> Response:
    """
    summary: Report what the player played (a heartbeat)
    description: >-
      `ranges` are the media ranges actually played since the last heartbeat, in seconds, in
      the order played; `position` is the playhead, where a later visit resumes. The server
      merges them into the caller's watched intervals: parts watched before count once, parts
      past the end are clipped, and new watched time may not grow faster than real time
      since the last heartbeat (1.1 times the wall time plus 2 s, at most 120 s; 30 s for a
      first heartbeat): the excess is not counted and is reported as `clipped_seconds`.
      Negative, non-finite or reversed ranges are refused (422).
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/WatchHeartbeat'}
    responses:
      200:
        description: The caller's progress after this heartbeat.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/WatchProgress'}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: The CSRF token is missing.}
      404: {description: "No such recording, or not one the caller may see."}
      409: {description: The recording is not READY.}
      422: {description: "An impossible range or position: `error.fields` says which."}
    """
    user = require_user(request)
    rid = recording_id(request)
    body = await read_json(request, required=("ranges", "position"))
    only_fields(body, ("ranges", "position"))
    async with services_of(request).unit() as unit:
        view = await unit.recordings.playable(rid, user)
        state = await unit.watching.heartbeat(view.recording, user, body["ranges"],
                                              body["position"])
    return JSONResponse({**progress_json(state), "duration_seconds": state.duration_seconds,
                         "clipped_seconds": state.clipped_seconds})


# -- for the OpenAPI document -----------------------------------------------------------------
def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": list(props) if required is None else required,
            "properties": props}


_NUM: dict[str, Any] = {"type": "number"}
_OPT_NUM: dict[str, Any] = {"type": ["number", "null"]}
_OPT_STR: dict[str, Any] = {"type": ["string", "null"]}
_TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
_PAIR: dict[str, Any] = {"type": "array", "items": _NUM, "minItems": 2, "maxItems": 2}
_CHAPTER = _obj({"start": {"type": "number", "minimum": 0}, "title": {"type": "string"}})
_PROGRESS: dict[str, Any] = {
    "watched_seconds": _NUM, "percent": {"type": "number", "minimum": 0, "maximum": 100},
    "intervals": {"type": "array", "items": _PAIR,
                  "description": "Sorted, disjoint [start, end] ranges watched."},
    "position_seconds": _NUM, "resume_at": _NUM, "completed_at": _TIME,
}
_SUMMARY: dict[str, Any] = {
    "id": {"type": "integer"}, "title": {"type": "string"},
    "state": {"type": "string", "enum": ["recording", "processing", "ready", "failed"]},
    "visibility": {"type": "string", "enum": ["private", "published"]},
    "course": {"anyOf": [{"$ref": "#/components/schemas/CourseRef"}, {"type": "null"}]},
    "duration_seconds": _OPT_NUM, "started_at": _TIME,
    "published_activity_id": {"type": ["integer", "null"]}, "can_manage": {"type": "boolean"},
    "progress": {"anyOf": [{"$ref": "#/components/schemas/WatchProgressState"},
                           {"type": "null"}]},
}
SCHEMAS: dict[str, Any] = {
    "RecordingSummary": _obj(_SUMMARY),
    "RecordingDetail": _obj({
        **_SUMMARY,
        "description": {"type": "string"},
        "chapters": {"type": "array", "items": _CHAPTER},
        "master_url": _OPT_STR, "mp4_url": _OPT_STR, "poster_url": _OPT_STR,
        "chapters_url": _OPT_STR,
        "renditions": {"type": "array", "items": _obj({
            "uri": {"type": "string"}, "bandwidth": {"type": "integer"},
            "width": {"type": ["integer", "null"]}, "height": {"type": ["integer", "null"]},
            "codecs": {"type": "string"},
        })},
    }),
    "RecordingPatch": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string", "maxLength": 20000},
            "chapters": {
                "anyOf": [{"type": "array", "items": _CHAPTER, "maxItems": 200},
                          {"type": "string"}],
                "description": "A list of {start, title}, or text with one `m:ss Title` or "
                               "`h:mm:ss Title` a line; every start within the recording.",
            },
        },
    },
    "ComposeRequest": {
        "type": "object", "required": ["layout"], "additionalProperties": False,
        "properties": {"layout": {"type": "string", "enum": ["presenter", "speaker", "grid"]}},
    },
    "WatchHeartbeat": {
        "type": "object", "required": ["ranges", "position"], "additionalProperties": False,
        "properties": {
            "ranges": {"type": "array", "items": _PAIR, "maxItems": 200,
                       "description": "[start, end] media ranges played since the last "
                                      "heartbeat, in seconds, in the order played."},
            "position": {"type": "number", "minimum": 0,
                         "description": "The playhead, in seconds."},
        },
    },
    "WatchProgressState": _obj(_PROGRESS),
    "WatchProgress": _obj({**_PROGRESS, "duration_seconds": _NUM, "clipped_seconds": _NUM}),
}
