"""Attendance, chat, poll and Q&A reports for meetings and live sessions, and engagement
per learner for the CME office.

- ``/meetings/{id}/report``: one occurrence (``?occurrence=<its start, ISO>``; by default the
  latest someone attended), with its attendance CSV and chat CSV: the organizer and admins;
- ``/admin/activities/{id}/session-report``: a course session's attendance timeline and what
  was said and asked, with links to the CSVs and the roster: the course's faculty and admins
  (``/admin/activities/{id}/report`` is the CME office's credit report of the same activity);
- ``/reports/engagement``: per learner across the sessions of a period (and a course),
  ``?format=csv`` to download it: admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_admin, require_teacher, services_of
from app.pages._forms import path_int, query_text, render
from app.pages.reports import PERIOD_FIELDS
from app.timeline_chart import timeline_chart
from courses.chat import ChatService, chat_csv
from courses.date_ranges import DateRange, parse_period
from courses.engagement import EngagementService, engagement_csv
from courses.errors import InvalidInput
from courses.models import Course, User
from courses.session_reports import MeetingReport, SessionReportService, meeting_attendance_csv

log = structlog.get_logger(__name__)

CSV = "text/csv; charset=utf-8"
MAX_OCCURRENCE = 60
"""Characters of ``?occurrence=``: an ISO time with its offset is about 25."""
FORMATS = ("html", "csv")



def _download(body: str, filename: str) -> Response:
    return Response(body, media_type=CSV,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def occurrence_query(report: MeetingReport) -> str:
    """``occurrence=...`` for links to this occurrence (its start in UTC, URL-escaped)."""
    return urlencode({"occurrence": report.occurrence.starts_at.isoformat()})


def _day(moment: datetime, zone: str) -> str:
    """The local date, for a file name."""
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


# -- a meeting's occurrence ------------------------------------------------------------------
async def _meeting_report(request: Request) -> tuple[User, MeetingReport]:
    user = require_teacher(request)
    meeting_id = path_int(request, "meeting_id")
    wanted = query_text(request, "occurrence", MAX_OCCURRENCE)
    async with services_of(request).unit() as unit:
        report = await SessionReportService(unit.session, unit.clock).meeting(
            meeting_id, user, wanted
        )
    return user, report


async def meeting_report(request: Request) -> Response:
    _, report = await _meeting_report(request)
    return render(
        request,
        "reports/meeting.html",
        {
            "report": report,
            "meeting": report.meeting,
            "summary": report.summary,
            "chart": timeline_chart(report.summary.timeline, report.meeting.title),
            "occurrence_query": occurrence_query(report),
        },
    )


async def meeting_attendance_download(request: Request) -> Response:
    user, report = await _meeting_report(request)
    meeting = report.meeting
    log.info("report.meeting_attendance_exported", meeting_id=meeting.id, user_id=user.id,
             occurrence_at=report.occurrence.starts_at.isoformat(), people=len(report.people))
    day = _day(report.occurrence.starts_at, meeting.timezone)
    return _download(meeting_attendance_csv(report), f"attendance-meeting-{meeting.id}-{day}.csv")


async def meeting_chat_download(request: Request) -> Response:
    """The meeting's chat; with ``?occurrence=`` only that occurrence's."""
    user = require_teacher(request)
    meeting_id = path_int(request, "meeting_id")
    wanted = query_text(request, "occurrence", MAX_OCCURRENCE)
    async with services_of(request).unit() as unit:
        transcript = await ChatService(unit.session, unit.clock).meeting_transcript(
            meeting_id, user, wanted
        )
    log.info("chat.exported", meeting_id=meeting_id, user_id=user.id,
             occurrence_at=transcript.occurrence.starts_at.isoformat()
             if transcript.occurrence else None,
             messages=len(transcript.messages))
    suffix = (
        f"-{_day(transcript.occurrence.starts_at, transcript.meeting.timezone)}"
        if transcript.occurrence else ""
    )
    return _download(chat_csv(transcript), f"chat-meeting-{meeting_id}{suffix}.csv")


# -- a course session --------------------------------------------------------------------------
async def session_report(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        report = await SessionReportService(unit.session, unit.clock).live_session(
            activity_id, user
        )
    return render(
        request,
        "reports/session.html",
        {
            "report": report,
            "activity": report.activity,
            "summary": report.summary,
            "chart": timeline_chart(report.summary.timeline, report.activity.title),
        },
    )


# -- engagement per learner ------------------------------------------------------------------
def _course_id(text: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        errors["course"] = "Choose a course from the list, or All courses."
        return None
    return int(text)


async def engagement(request: Request) -> Response:
    admin = require_admin(request)
    fields = {name: query_text(request, name, 40) for name in (*PERIOD_FIELDS, "course")}
    wanted = query_text(request, "format", 10).strip().lower() or "html"
    errors: dict[str, str] = {}
    if wanted not in FORMATS:
        errors["format"] = "Leave the format out for this page, or ask for format=csv."
    course_id = _course_id(fields["course"].strip(), errors)
    today = services_of(request).clock.now().date()
    period: DateRange | None = None
    try:
        period = parse_period(fields["year"], fields["from"], fields["to"], today)
    except InvalidInput as exc:
        errors.update(exc.errors)
    async with services_of(request).unit() as unit:
        courses = [v.course for v in await unit.catalog.managed_courses(admin)]
        course: Course | None = next((c for c in courses if c.id == course_id), None)
        if course_id is not None and course is None:
            errors["course"] = f"There is no course {course_id}; choose one from the list."
        context: dict[str, Any] = {"form": fields, "errors": errors, "courses": courses}
        if errors or period is None:
            return render(request, "reports/engagement.html", {**context, "report": None},
                          status=422)
        report = await EngagementService(unit.session, unit.clock).report(period, admin, course)
    query = "&".join(p for p in (period.query(), f"course={course.id}" if course else "") if p)
    if wanted == "csv":
        log.info("export.downloaded", file="engagement.csv", admin_id=admin.id,
                 course_id=course_id, since=str(period.since), until=str(period.until))
        scope = f"course-{course.id}-" if course else ""
        return _download(engagement_csv(report),
                         f"engagement-{scope}{period.since}-to-{period.until}.csv")
    return render(request, "reports/engagement.html",
                  {**context, "report": report, "period": period, "query": query})


ROUTES: list[BaseRoute] = [
    Route("/meetings/{meeting_id:int}/report", meeting_report, name="meeting_report"),
    Route("/meetings/{meeting_id:int}/attendance.csv", meeting_attendance_download),
    Route("/meetings/{meeting_id:int}/chat.csv", meeting_chat_download),
    Route("/admin/activities/{activity_id:int}/session-report", session_report,
          name="session_report"),
    Route("/reports/engagement", engagement, name="engagement_report"),
]
