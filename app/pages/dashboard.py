"""'My learning': the signed-in learner's upcoming sessions and on-demand items."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from app.auth import current_user, require_user, services_of
from app.pages._forms import redirect, render
from courses.meeting_rooms import hosts, opens_at
from courses.meetings import MeetingService

# The join button opens this long before a live session starts.
JOIN_OPENS_BEFORE = timedelta(minutes=15)


async def home(request: Request) -> Response:
    return redirect("/dashboard" if current_user(request) else "/catalog")


async def dashboard(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    now = services.clock.now()
    async with services.unit() as unit:
        agenda = await unit.enrollment.agenda(user.id or 0, now)
        courses = await unit.enrollment.learner_courses(user.id or 0)
        teaching = await unit.catalog.managed_courses(user) if user.can_teach else []
        meetings = await MeetingService(unit.session, unit.clock).upcoming_for(user)
    return render(
        request,
        "dashboard/index.html",
        {
            "live": [i for i in agenda if i.activity.is_live],
            "on_demand": [i for i in agenda if not i.activity.is_live],
            "courses": courses,
            "teaching": teaching,
            "meetings": meetings,
            # meetings whose room is open to this person now (courses.meeting_rooms)
            "open_meetings": {
                m.meeting.id for m in meetings
                if m.next is not None
                and now >= opens_at(m.next, is_host=hosts(m.meeting, user))
            },
            "now": now,
            "join_opens": JOIN_OPENS_BEFORE,
            "profile_incomplete": not user.degree,
        },
    )
