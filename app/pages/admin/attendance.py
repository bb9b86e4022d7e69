"""A live session's attendance: who was connected when, minutes and percent of the session;
administrators correct it (with a reason, kept in the audit log); a CSV for the records."""

from __future__ import annotations

import csv
import io

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.auth import require_admin, require_teacher, services_of
from app.flash import flash
from app.pages._forms import path_int, read_form, redirect, render
from courses.attendance import AttendanceService, attendance_csv_rows
from courses.errors import InvalidInput

log = structlog.get_logger(__name__)

CSV_FIELDS = ("name", "email", "role", "joined", "left", "leave_reason", "minutes", "percent")


async def attendance_page(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        roster = await AttendanceService(unit.session, unit.clock).roster(activity_id, user)
        learners = [
            e.user
            for e in await unit.enrollment.roster(roster.activity.course_id)
            if e.enrollment.status == "enrolled"
        ]
    return render(
        request,
        "admin/attendance.html",
        {"roster": roster, "activity": roster.activity, "learners": learners},
    )


async def adjust_attendance(request: Request) -> Response:
    admin = require_admin(request)
    activity_id = path_int(request, "activity_id")
    form = await read_form(request)
    raw_user = str(form.get("user_id", "")).strip()
    try:
        if not raw_user.isdigit() or len(raw_user) > 9:
            raise InvalidInput({"user_id": "Choose whose attendance to adjust."})
        async with services_of(request).unit() as unit:
            row = await AttendanceService(unit.session, unit.clock).adjust(
                activity_id,
                int(raw_user),
                start=form.get("start"),
                end=form.get("end"),
                kind=form.get("kind"),
                reason=form.get("reason"),
                actor=admin,
            )
    except InvalidInput as exc:
        flash(request, " ".join(exc.errors.values()), "error")
        return redirect(f"/admin/activities/{activity_id}/attendance")
    log.info(
        "attendance.adjusted_by_admin",
        activity_id=activity_id,
        user_id=row.user_id,
        admin_id=admin.id,
        adjustment_id=row.id,
    )
    flash(request, "Attendance adjusted; the change is in the audit log below.", "success")
    return redirect(f"/admin/activities/{activity_id}/attendance")


async def attendance_csv(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        roster = await AttendanceService(unit.session, unit.clock).roster(activity_id, user)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for row in attendance_csv_rows(roster, roster.activity.timezone):
        # a cell starting with = + - @ would be a formula in a spreadsheet: quote it
        writer.writerow({k: ("'" + v if v[:1] in "=+-@" else v) for k, v in row.items()})
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="attendance-activity-{activity_id}.csv"'
        },
    )
