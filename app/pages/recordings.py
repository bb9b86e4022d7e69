"""Recordings: the list, the replay page, editing and publishing, the media files, and the
administrators' overview."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app import notify
from app.api.params import path_id
from app.assets import player_path
from app.auth import require_admin, require_teacher, require_user, services_of
from app.flash import flash
from app.media_files import CHAPTERS, MASTER, POSTER, RecordingFiles
from app.pages._forms import read_form, redirect, render
from courses.chapters import chapters_text, format_time
from courses.errors import Conflict, InvalidInput
from courses.recordings import RecordingNotFound, RecordingView

log = structlog.get_logger(__name__)

ACTIONS = ("save", "publish", "private")


def recording_id(request: Request) -> int:
    return path_id(request, "recording_id", RecordingNotFound, "recording")


def files_of(request: Request, view: RecordingView) -> RecordingFiles:
    return RecordingFiles(services_of(request).settings.effective_media_root, view.recording)


async def recording_list(request: Request) -> Response:
    user = require_user(request)
    async with services_of(request).unit() as unit:
        views = await unit.recordings.visible(user)
        progress = await unit.watching.progress_of(user.id or 0, [v.recording for v in views])
    return render(request, "recordings/index.html",
                  {"views": views, "progress": progress, "format_time": format_time})


async def replay_page(request: Request) -> Response:
    user = require_user(request)
    rid = recording_id(request)
    async with services_of(request).unit() as unit:
        view = await unit.recordings.view(rid, user)
        progress = await unit.watching.progress(view.recording, user.id or 0)
    files = files_of(request, view)
    ready = view.is_ready and files.folder is not None
    mp4 = files.mp4 if ready else None
    base = f"/recordings/{rid}/media/"
    return render(request, "recordings/replay.html", {
        "view": view,
        "recording": view.recording,
        "progress": progress,
        "ready": ready,
        "player_ready": player_path().is_file(),
        "master_url": base + MASTER if ready and files.exists(MASTER) else "",
        "poster_url": base + POSTER if ready and files.exists(POSTER) else "",
        "chapters_url": base + CHAPTERS,
        "mp4_url": base + mp4.name if mp4 else "",
        "mp4_megabytes": round(mp4.stat().st_size / 1_000_000, 1) if mp4 else 0,
        "format_time": format_time,
    })


def _values(view: RecordingView) -> dict[str, Any]:
    recording = view.recording
    return {"title": recording.title, "description": recording.description,
            "chapters": chapters_text(view.chapters)}


async def edit_page(request: Request) -> Response:
    user = require_teacher(request)
    rid = recording_id(request)
    async with services_of(request).unit() as unit:
        view = await unit.recordings.managed(rid, user)
    return render(request, "recordings/edit.html",
                  {"view": view, "values": _values(view), "format_time": format_time})


async def save(request: Request) -> Response:
    """One form, three buttons: save, save and publish, keep private."""
    user = require_teacher(request)
    rid = recording_id(request)
    data = await read_form(request)
    action = data.pop("action", "save")
    if action not in ACTIONS:
        action = "save"
    newly_published = False
    try:
        async with services_of(request).unit() as unit:
            if action == "publish":
                newly_published = not (await unit.recordings.managed(rid, user)).is_published
                view = await unit.recordings.publish(rid, user, data)
            else:
                view = await unit.recordings.update(rid, data, user)
                if action == "private" and view.is_published:
                    view = await unit.recordings.make_private(rid, user)
    except InvalidInput as exc:
        async with services_of(request).unit() as unit:
            view = await unit.recordings.managed(rid, user)
        return render(request, "recordings/edit.html",
                      {"view": view, "values": data, "errors": exc.errors,
                       "format_time": format_time}, status=422)
    except Conflict as exc:
        flash(request, exc.message, "error")
        return redirect(f"/recordings/{rid}/edit")
    messages = {
        "save": "Recording saved.",
        "publish": "Recording published: the course's enrolled learners can watch it now.",
        "private": "The recording is private: only its participants, the course's faculty "
                   "and administrators can watch it.",
    }
    log.info("recording.saved", recording_id=rid, user_id=user.id, action=action,
             visibility=view.recording.visibility)
    if newly_published:
        await notify.recording_published(services_of(request), rid)
    flash(request, messages[action], "success")
    return redirect(f"/recordings/{rid}/edit")


async def media(request: Request) -> Response:
    """A file of the recording's outputs, after the same check as the replay page."""
    user = require_user(request)
    rid = recording_id(request)
    path: str = request.path_params["path"]
    async with services_of(request).unit() as unit:
        view = await unit.recordings.view(rid, user)
    if not view.is_ready:
        raise RecordingNotFound(f"Recording {rid} has no files yet: it is "
                                f"{view.recording.state}.")
    download = request.query_params.get("download") == "1"
    return files_of(request, view).response(path, chapters=view.chapters, download=download)


async def admin_list(request: Request) -> Response:
    user = require_admin(request)
    async with services_of(request).unit() as unit:
        views = await unit.recordings.all(user)
    return render(request, "admin/recordings.html",
                  {"views": views, "format_time": format_time})


async def compose(request: Request) -> Response:
    """Compose again, in the layout chosen on the edit page."""
    from app.compose_job import compose_again

    user = require_teacher(request)
    rid = recording_id(request)
    data = await read_form(request)
    try:
        job = await compose_again(services_of(request), rid, data.get("layout"), user)
    except InvalidInput as exc:
        flash(request, exc.errors.get("layout", exc.message), "error")
        return redirect(f"/recordings/{rid}/edit")
    except Conflict as exc:
        flash(request, exc.message, "error")
        return redirect(f"/recordings/{rid}/edit")
    flash(request, f"Composing again with the {data.get('layout')} layout (job {job.id}). "
          "The current version stays available until the new one is ready.", "success")
    return redirect(f"/recordings/{rid}/edit")
