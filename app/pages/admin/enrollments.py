"""A course's roster and waitlist; admins enroll and remove people."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.auth import require_admin, require_teacher, services_of
from app.flash import flash
from app.pages._forms import path_int, read_form, redirect, render
from courses.accounts import normalize_email
from courses.errors import InvalidInput
from courses.models import EnrollmentStatus

log = structlog.get_logger(__name__)


async def roster(request: Request) -> Response:
    user = require_teacher(request)
    course_id = path_int(request, "course_id")
    async with services_of(request).unit() as unit:
        view = await unit.catalog.managed_course(course_id, user)
        entries = await unit.enrollment.roster(course_id)
        counts = await unit.enrollment.counts(course_id)
    return render(request, "admin/enrollments.html",
                  {"view": view, "entries": entries, "counts": counts})


async def enroll_someone(request: Request) -> Response:
    admin = require_admin(request)
    course_id = path_int(request, "course_id")
    form = await read_form(request)
    try:
        email = normalize_email(str(form.get("email", "")))
    except InvalidInput as exc:
        flash(request, exc.errors["email"], "error")
        return redirect(f"/admin/courses/{course_id}/enrollments")
    async with services_of(request).unit() as unit:
        learner = await unit.accounts.by_email(email)
        if learner is None:
            flash(request, f"No account uses {email}. Create the account first.", "error")
            return redirect(f"/admin/courses/{course_id}/enrollments")
        if not learner.is_active:
            flash(request, f"The account {email} is disabled. Enable it on the Users page "
                  "first.", "error")
            return redirect(f"/admin/courses/{course_id}/enrollments")
        state = await unit.enrollment.enroll(course_id, learner.id or 0, actor=admin)
    log.info("enrollment.by_admin", course_id=course_id, user_id=learner.id, admin_id=admin.id,
             status=state.status)
    if state.status is EnrollmentStatus.WAITLISTED:
        flash(request, f"{learner.display_name} is number {state.waitlist_position} on the "
              "waitlist: the course is full.", "warning")
    else:
        flash(request, f"{learner.display_name} is enrolled.", "success")
    return redirect(f"/admin/courses/{course_id}/enrollments")


async def withdraw_someone(request: Request) -> Response:
    admin = require_admin(request)
    course_id = path_int(request, "course_id")
    user_id = path_int(request, "user_id")
    async with services_of(request).unit() as unit:
        state = await unit.enrollment.withdraw(course_id, user_id, actor=admin)
    log.info("enrollment.removed_by_admin", course_id=course_id, user_id=user_id,
             admin_id=admin.id, promoted=list(state.promoted_user_ids))
    flash(request, "Removed from the course." + (
        f" {len(state.promoted_user_ids)} moved up from the waitlist."
        if state.promoted_user_ids else ""), "info")
    return redirect(f"/admin/courses/{course_id}/enrollments")
