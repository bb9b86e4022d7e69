"""Meetings: scheduling (with recurrence and invitees), invitations, calendar files."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app import invitations
from app.auth import require_teacher, require_user, services_of
from app.flash import flash
from app.pages._forms import path_int, read_form, redirect, render
from app.templating import local_time
from courses.calendar_files import Method, Person, calendar_file
from courses.errors import InvalidInput
from courses.meetings import MeetingChange, MeetingService
from courses.models import User

log = structlog.get_logger(__name__)

ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/London",
    "UTC",
)
"""Offered in the form's list; any other IANA name may be typed."""



async def _send(request: Request, change: MeetingChange) -> int:
    services = services_of(request)
    return await invitations.send(
        services.mailer, change, services.settings.public_url, services.clock.now()
    )


async def _form(
    request: Request,
    user: User,
    values: dict[str, Any],
    *,
    meeting_id: int | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with services_of(request).unit() as unit:
        people = await MeetingService(unit.session, unit.clock).invitable()
    chosen = {str(v) for v in values.get("invitee_ids") or []}
    return render(
        request,
        "meetings/form.html",
        {
            "meeting_id": meeting_id,
            "values": values,
            "errors": errors or {},
            "people": [p for p in people if p.id != user.id],
            "chosen": chosen,
            "zones": ZONES,
        },
        status=status,
    )


async def meeting_list(request: Request) -> Response:
    user = require_user(request)
    async with services_of(request).unit() as unit:
        summaries = await MeetingService(unit.session, unit.clock).mine(user)
    return render(
        request,
        "meetings/list.html",
        {"summaries": summaries, "can_schedule": user.can_teach},
    )


async def new_page(request: Request) -> Response:
    user = require_teacher(request)
    return await _form(
        request, user, {"timezone": "America/New_York", "recurrence": "none", "count": ""}
    )


async def create(request: Request) -> Response:
    user = require_teacher(request)
    data = await read_form(request)
    try:
        async with services_of(request).unit() as unit:
            change = await MeetingService(unit.session, unit.clock).schedule(data, user)
    except InvalidInput as exc:
        return await _form(request, user, data, errors=exc.errors, status=422)
    sent = await _send(request, change)
    flash(request, f"Meeting scheduled; {_invited(sent)}.", "success")
    return redirect(f"/meetings/{change.meeting.id}")


def _invited(sent: int) -> str:
    if sent == 0:
        return "nobody was invited"
    return f"{sent} invitation{'s' if sent != 1 else ''} sent"


async def detail(request: Request) -> Response:
    user = require_user(request)
    meeting_id = path_int(request, "meeting_id")
    async with services_of(request).unit() as unit:
        view = await MeetingService(unit.session, unit.clock).visible(meeting_id, user)
    return render(
        request,
        "meetings/detail.html",
        {"view": view, "meeting": view.meeting, "when": invitations.when_text(view.meeting)},
    )


async def edit_page(request: Request) -> Response:
    user = require_teacher(request)
    meeting_id = path_int(request, "meeting_id")
    async with services_of(request).unit() as unit:
        view, guests = await MeetingService(unit.session, unit.clock).managed(meeting_id, user)
    m = view.meeting
    values = {
        "title": m.title,
        "agenda": m.agenda,
        "timezone": m.timezone,
        "starts_at": local_time(m.starts_at, m.timezone, "input"),
        "ends_at": local_time(m.ends_at, m.timezone, "input"),
        "recurrence": m.recurrence,
        "count": m.recurrence_count or "",
        "until": m.recurrence_until.isoformat() if m.recurrence_until else "",
        "invitee_ids": [str(i.user_id) for i in view.invitees if i.user_id is not None],
        "guests": guests,
    }
    return await _form(request, user, values, meeting_id=meeting_id)


async def update(request: Request) -> Response:
    user = require_teacher(request)
    meeting_id = path_int(request, "meeting_id")
    data = await read_form(request)
    data.setdefault("invitee_ids", [])  # nobody chosen sends nothing
    try:
        async with services_of(request).unit() as unit:
            change = await MeetingService(unit.session, unit.clock).update(meeting_id, data, user)
    except InvalidInput as exc:
        return await _form(
            request, user, data, meeting_id=meeting_id, errors=exc.errors, status=422
        )
    sent = await _send(request, change)
    flash(request, f"Meeting saved; {_invited(sent)}.", "success")
    return redirect(f"/meetings/{meeting_id}")


async def cancel(request: Request) -> Response:
    user = require_teacher(request)
    meeting_id = path_int(request, "meeting_id")
    async with services_of(request).unit() as unit:
        change = await MeetingService(unit.session, unit.clock).cancel(meeting_id, user)
    sent = await _send(request, change)
    flash(request, f"Meeting cancelled; {sent} invitee(s) told.", "info")
    return redirect(f"/meetings/{meeting_id}")


async def ics(request: Request) -> Response:
    """The meeting as a calendar file to import (iTIP PUBLISH; no attendees listed)."""
    user = require_user(request)
    meeting_id = path_int(request, "meeting_id")
    services = services_of(request)
    async with services.unit() as unit:
        view = await MeetingService(unit.session, unit.clock).visible(meeting_id, user)
    organizer = Person(view.organizer.email, view.organizer.display_name)
    data = calendar_file(view.meeting, organizer, [], Method.PUBLISH, services.clock.now())
    log.info("meeting.calendar_downloaded", meeting_id=meeting_id, user_id=user.id)
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


ROUTES: list[BaseRoute] = [
    Route("/meetings", meeting_list, name="meetings"),
    Route("/meetings/new", new_page),
    Route("/meetings/new", create, methods=["POST"]),
    Route("/meetings/{meeting_id:int}", detail, name="meeting"),
    Route("/meetings/{meeting_id:int}.ics", ics, name="meeting_ics"),
    Route("/meetings/{meeting_id:int}/edit", edit_page),
    Route("/meetings/{meeting_id:int}/edit", update, methods=["POST"]),
    Route("/meetings/{meeting_id:int}/cancel", cancel, methods=["POST"]),
]
