"""Who may enter a live session's room, and when the room is open.

A course session admits its enrolled learners, the course's faculty and administrators.
Faculty and administrators host. The room opens when a host arrives or at the start time,
and closes at the end time (plus a grace period for overruns) or when a host closes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.catalog import CatalogService
from courses.clock import Clock
from courses.enrollment import EnrollmentService
from courses.errors import ActivityNotFound, PermissionDenied, SessionNotYetOpen, SessionOver
from courses.models import Activity, Course, EnrollmentStatus, User

# A session that overruns keeps its room this long past its scheduled end.
OVERRUN_GRACE = timedelta(minutes=30)
# Learners may wait in the room this long before the start; it opens when a host arrives.
EARLY_ENTRY = timedelta(minutes=15)


ACTIVITY_ROOM = re.compile(r"^activity-([1-9][0-9]{0,9})$")


def room_id_for(activity_id: int) -> str:
    return f"activity-{activity_id}"


def activity_id_of(room_id: str) -> int | None:
    """The live session a room belongs to (``room_id_for`` read back); None for other rooms."""
    match = ACTIVITY_ROOM.fullmatch(room_id)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class SessionPass:
    """Permission to enter one live session's room, as the person's role there."""

    activity: Activity
    course: Course
    user: User
    is_host: bool

    @property
    def room_id(self) -> str:
        return room_id_for(self.activity.id or 0)

    @property
    def starts_at(self) -> datetime:
        assert self.activity.starts_at is not None
        return self.activity.starts_at

    @property
    def closes_at(self) -> datetime:
        assert self.activity.ends_at is not None
        return self.activity.ends_at + OVERRUN_GRACE


class LiveSessionService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalog = CatalogService(session, clock)
        self.enrollment = EnrollmentService(session, clock)

    async def admit(self, activity_id: int, user: User) -> SessionPass:
        """A pass for ``user`` to ``activity_id``'s room, or the domain error saying why not."""
        activity, view = await self.catalog.activity(activity_id, user)
        if not activity.is_live or activity.starts_at is None or activity.ends_at is None:
            raise ActivityNotFound(f"Activity {activity_id} is not a live session.")
        is_host = permissions.can_manage_course(user, view.faculty_ids)
        if not is_host:
            state = await self.enrollment.state(view.course.id or 0, user.id or 0)
            if state.status is not EnrollmentStatus.ENROLLED:
                raise PermissionDenied(
                    "Only learners enrolled in this course, its faculty and administrators "
                    "may join this session. Enroll from the course page first."
                )
        now = self.clock.now()
        if now >= activity.ends_at + OVERRUN_GRACE:
            raise SessionOver("This live session has ended.")
        if not is_host and now < activity.starts_at - EARLY_ENTRY:
            raise SessionNotYetOpen(
                "The room opens 15 minutes before the session starts."
            )
        return SessionPass(activity=activity, course=view.course, user=user, is_host=is_host)
