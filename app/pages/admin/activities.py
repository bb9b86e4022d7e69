"""Adding, editing and removing the activities of a course."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.auth import require_teacher, services_of
from app.flash import flash
from app.pages._forms import path_int, read_form, redirect, render
from app.templating import local_time
from courses.errors import InvalidInput
from courses.models import Activity

log = structlog.get_logger(__name__)


def _values(activity: Activity) -> dict[str, Any]:
    return {
        "kind": activity.kind,
        "title": activity.title,
        "description": activity.description,
        "timezone": activity.timezone or "",
        "starts_at": local_time(activity.starts_at, activity.timezone, "input"),
        "ends_at": local_time(activity.ends_at, activity.timezone, "input"),
        "capacity": activity.capacity or "",
        "duration_minutes": activity.duration_minutes or "",
        "auto_record": activity.auto_record,
    }


async def new_activity_page(request: Request) -> Response:
    user = require_teacher(request)
    course_id = path_int(request, "course_id")
    async with services_of(request).unit() as unit:
        view = await unit.catalog.managed_course(course_id, user)
    kind = request.query_params.get("kind", "live")
    values = {"kind": kind if kind in ("live", "on_demand") else "live",
              "timezone": "America/New_York"}
    return render(request, "admin/activity_form.html", {"view": view, "values": values})


async def create_activity(request: Request) -> Response:
    user = require_teacher(request)
    course_id = path_int(request, "course_id")
    data = await read_form(request)
    try:
        async with services_of(request).unit() as unit:
            activity = await unit.catalog.add_activity(course_id, data, user)
    except InvalidInput as exc:
        async with services_of(request).unit() as unit:
            view = await unit.catalog.managed_course(course_id, user)
        return render(request, "admin/activity_form.html",
                      {"view": view, "values": data, "errors": exc.errors}, status=422)
    log.info("activity.created", activity_id=activity.id, course_id=course_id, user_id=user.id)
    flash(request, f"Activity “{activity.title}” added.", "success")
    return redirect(f"/admin/courses/{course_id}/edit")


async def edit_activity_page(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        activity, view = await unit.catalog.activity(activity_id, user)
        await unit.catalog.managed_course(view.course.id or 0, user)
    return render(request, "admin/activity_form.html",
                  {"view": view, "activity": activity, "values": _values(activity)})


async def update_activity(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    data = await read_form(request)
    data.setdefault("auto_record", "")  # an unticked box sends nothing
    try:
        async with services_of(request).unit() as unit:
            activity = await unit.catalog.update_activity(activity_id, data, user)
    except InvalidInput as exc:
        async with services_of(request).unit() as unit:
            activity, view = await unit.catalog.activity(activity_id, user)
        return render(request, "admin/activity_form.html",
                      {"view": view, "activity": activity, "values": data, "errors": exc.errors},
                      status=422)
    log.info("activity.updated", activity_id=activity_id, user_id=user.id)
    flash(request, "Activity saved.", "success")
    return redirect(f"/admin/courses/{activity.course_id}/edit")


async def delete_activity(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        activity, _ = await unit.catalog.activity(activity_id, user)
        course_id = activity.course_id
        await unit.catalog.delete_activity(activity_id, user)
    log.info("activity.deleted", activity_id=activity_id, course_id=course_id, user_id=user.id)
    flash(request, "Activity removed.", "info")
    return redirect(f"/admin/courses/{course_id}/edit")
