"""The catalog, a course's page, enrolling and leaving, and an activity's page."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.auth import current_user, require_user, services_of
from app.flash import flash
from app.pages._forms import path_int, query_text, redirect, render
from courses import permissions
from courses.catalog import CatalogQuery
from courses.disclosures import DisclosureService
from courses.errors import EnrollmentClosed
from courses.models import EnrollmentStatus

log = structlog.get_logger(__name__)


def catalog_query(request: Request) -> CatalogQuery:
    params = request.query_params
    page = params.get("page", "1")
    fmt = params.get("format", "")
    return CatalogQuery(
        q=query_text(request, "q", 200),
        tag=query_text(request, "tag", 40).lower(),
        format=fmt if fmt in ("live", "on_demand") else "",
        # isdigit() alone admits '²', which int() refuses
        page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 10_000 else 1,
    )


async def catalog(request: Request) -> Response:
    query = catalog_query(request)
    user = current_user(request)
    services = services_of(request)
    async with services.unit() as unit:
        views = await unit.catalog.search(user, query)
        tags = await unit.catalog.all_tags()
        mine = (
            {c.id: e.status for c, e in await unit.enrollment.learner_courses(user.id or 0)}
            if user
            else {}
        )
    return render(
        request,
        "catalog/index.html",
        {"views": views, "query": query, "tags": tags, "mine": mine, "now": services.clock.now()},
    )


async def course_page(request: Request) -> Response:
    course_id = path_int(request, "course_id")
    user = current_user(request)
    services = services_of(request)
    async with services.unit() as unit:
        view = await unit.catalog.course(course_id, user)
        state = await unit.enrollment.state(course_id, user.id or 0) if user else None
        counts = await unit.enrollment.counts(course_id)
    return render(
        request,
        "catalog/course.html",
        {
            "view": view,
            "state": state,
            "counts": counts,
            "can_manage": permissions.can_manage_course(user, view.faculty_ids),
            "now": services.clock.now(),
        },
    )


async def enroll(request: Request) -> Response:
    user = require_user(request)
    course_id = path_int(request, "course_id")
    try:
        async with services_of(request).unit() as unit:
            state = await unit.enrollment.enroll(course_id, user.id or 0, actor=user)
    except EnrollmentClosed as exc:
        flash(request, exc.message, "error")
        return redirect(f"/courses/{course_id}")
    if state.status is EnrollmentStatus.ENROLLED:
        if state.changed:
            log.info("enrollment.enrolled", course_id=course_id, user_id=user.id)
        flash(
            request,
            "You are enrolled." if state.changed else "You were already enrolled.",
            "success",
        )
    else:
        log.info(
            "enrollment.waitlisted",
            course_id=course_id,
            user_id=user.id,
            position=state.waitlist_position,
        )
        flash(
            request,
            f"This course is full. You are number {state.waitlist_position} on the "
            "waitlist; you will be enrolled automatically when a seat frees.",
            "warning",
        )
    return redirect(f"/courses/{course_id}")


async def unenroll(request: Request) -> Response:
    user = require_user(request)
    course_id = path_int(request, "course_id")
    async with services_of(request).unit() as unit:
        state = await unit.enrollment.withdraw(course_id, user.id or 0, actor=user)
    if state.changed:
        log.info(
            "enrollment.withdrawn",
            course_id=course_id,
            user_id=user.id,
            promoted=list(state.promoted_user_ids),
        )
        flash(request, "You have left this course.", "info")
    return redirect(f"/courses/{course_id}")


async def activity_page(request: Request) -> Response:
    activity_id = path_int(request, "activity_id")
    user = current_user(request)
    services = services_of(request)
    async with services.unit() as unit:
        activity, view = await unit.catalog.activity(activity_id, user)
        state = await unit.enrollment.state(view.course.id or 0, user.id or 0) if user else None
        replay = await unit.recordings.replay_of(activity_id)
        accreditation = await DisclosureService(unit.session, unit.clock).for_learners(
            activity, view
        )
    return render(
        request,
        "catalog/activity.html",
        {
            "activity": activity,
            "accreditation": accreditation,
            "replay": replay,
            "view": view,
            "state": state,
            "can_manage": permissions.can_manage_course(user, view.faculty_ids),
            "now": services.clock.now(),
        },
    )
