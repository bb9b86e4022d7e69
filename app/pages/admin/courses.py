"""Creating and editing courses."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.auth import require_admin, require_teacher, services_of
from app.flash import flash
from app.pages._forms import path_int, read_form, redirect, render
from courses.errors import DomainError, InvalidInput

log = structlog.get_logger(__name__)


async def course_list(request: Request) -> Response:
    user = require_teacher(request)
    async with services_of(request).unit() as unit:
        views = await unit.catalog.managed_courses(user)
        counts = {v.course.id: await unit.enrollment.counts(v.course.id or 0) for v in views}
    return render(request, "admin/courses.html", {"views": views, "counts": counts})


async def _form_context(request: Request, **extra: object) -> dict[str, object]:
    async with services_of(request).unit() as unit:
        teachers = await unit.catalog.teachers()
    return {"teachers": teachers, **extra}


async def new_course_page(request: Request) -> Response:
    require_admin(request)
    context = await _form_context(request, values={"faculty_ids": []}, creating=True)
    return render(request, "admin/course_form.html", context)


async def create_course(request: Request) -> Response:
    user = require_admin(request)
    data = await read_form(request)
    data.setdefault("faculty_ids", [])
    try:
        async with services_of(request).unit() as unit:
            course = await unit.catalog.create_course(data, user)
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else {"slug": exc.message}
        context = await _form_context(request, values=data, errors=errors, creating=True)
        return render(request, "admin/course_form.html", context, status=422)
    log.info("course.created", course_id=course.id, user_id=user.id)
    flash(request, f"Course “{course.title}” created. Add its activities next.", "success")
    return redirect(f"/admin/courses/{course.id}/edit")


async def edit_course_page(request: Request) -> Response:
    user = require_teacher(request)
    course_id = path_int(request, "course_id")
    async with services_of(request).unit() as unit:
        view = await unit.catalog.managed_course(course_id, user)
    course = view.course
    values = {
        "title": course.title, "slug": course.slug, "summary": course.summary,
        "description": course.description, "tags": ", ".join(view.tags),
        "published": course.published, "capacity": course.capacity or "",
        "faculty_ids": [str(i) for i in view.faculty_ids],
    }
    context = await _form_context(request, values=values, view=view, creating=False)
    return render(request, "admin/course_form.html", context)


async def update_course(request: Request) -> Response:
    user = require_teacher(request)
    course_id = path_int(request, "course_id")
    data = await read_form(request)
    if user.is_admin:
        data.setdefault("faculty_ids", [])
        data.setdefault("published", "")
    try:
        async with services_of(request).unit() as unit:
            course = await unit.catalog.update_course(course_id, data, user)
    except DomainError as exc:
        if not isinstance(exc, InvalidInput) and exc.code in ("forbidden", "course_not_found"):
            raise
        errors = exc.errors if isinstance(exc, InvalidInput) else {"slug": exc.message}
        async with services_of(request).unit() as unit:
            view = await unit.catalog.managed_course(course_id, user)
        context = await _form_context(request, values=data, errors=errors, view=view,
                                      creating=False)
        return render(request, "admin/course_form.html", context, status=422)
    log.info("course.updated", course_id=course.id, user_id=user.id)
    flash(request, "Course saved.", "success")
    return redirect(f"/admin/courses/{course_id}/edit")
