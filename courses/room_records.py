"""What the records a live room keeps (polls and their votes, audience questions and their
upvotes) share: who did something in the room, which course session or meeting the room is, and
who may read the records afterwards.

A room is "activity-N" (a course's live session) or "meeting-N"; rows carry ``activity_id`` or
``meeting_id`` so reports find them. A room whose session or meeting no longer exists, or a
person whose account is gone, is kept without the link rather than lost (as chat does)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.catalog import CatalogService
from courses.clock import Clock
from courses.errors import PermissionDenied
from courses.live_sessions import activity_id_of
from courses.meeting_attendance import reportable_meeting
from courses.meetings import meeting_id_of
from courses.models import Activity, Meeting, MeetingInvitee, User

MAX_NAME = 200
MAX_ROOM_ID = 64


@dataclass(frozen=True)
class RoomPerson:
    """Someone acting in a room. ``key`` is one person across devices and reconnects ("u:12"
    for a user, "g:7" for a meeting guest); ``user_id`` / ``guest_id`` say which, when known."""

    key: str
    name: str
    user_id: int | None = None
    guest_id: int | None = None

    @property
    def shown_name(self) -> str:
        """The name as records keep it: never empty, at most ``MAX_NAME`` characters."""
        return (self.name.strip() or "Someone")[:MAX_NAME]


def text_problem(value: object, limit: int, *, empty: str, called: str) -> str | None:
    """What is wrong with a text someone typed, stripped (``empty`` when there is none, the
    limit when it is too long, naming it as ``called``: "A poll question"); None when fine."""
    if not isinstance(value, str) or not value.strip():
        return empty
    length = len(value.strip())
    if length > limit:
        return f"{called} is limited to {limit} characters; yours has {length}."
    return None


@dataclass(frozen=True)
class RoomLinks:
    """The session or meeting a room belongs to, each None when the room is not one (or the
    row is gone)."""

    room_id: str
    activity_id: int | None
    meeting_id: int | None


async def room_links(session: AsyncSession, room_id: str) -> RoomLinks:
    activity_id = activity_id_of(room_id)
    if activity_id is not None and await session.get(Activity, activity_id) is None:
        activity_id = None
    meeting_id = meeting_id_of(room_id)
    if meeting_id is not None and await session.get(Meeting, meeting_id) is None:
        meeting_id = None
    return RoomLinks(room_id[:MAX_ROOM_ID], activity_id, meeting_id)


async def person_links(session: AsyncSession, person: RoomPerson) -> tuple[int | None, int | None]:
    """(user id, guest id) of ``person`` that still exist, for the rows' foreign keys."""
    user_id = person.user_id
    if user_id is not None and await session.get(User, user_id) is None:
        user_id = None
    guest_id = person.guest_id
    if guest_id is not None and await session.get(MeetingInvitee, guest_id) is None:
        guest_id = None
    return user_id, guest_id


@dataclass(frozen=True)
class RoomRecord:
    """A session or meeting whose room records someone may read: exactly one of the ids."""

    activity_id: int | None
    meeting_id: int | None
    title: str
    timezone: str

    @property
    def name(self) -> str:
        """"activity-3" or "meeting-5": for file names."""
        if self.activity_id is not None:
            return f"activity-{self.activity_id}"
        return f"meeting-{self.meeting_id}"

    def owns(self, activity_column: Any, meeting_column: Any) -> Any:
        """The SQL condition that a row (with these two columns) belongs to this record."""
        if self.activity_id is not None:
            return col(activity_column) == self.activity_id
        return col(meeting_column) == self.meeting_id


async def session_record(
    session: AsyncSession, clock: Clock, activity_id: int, actor: User
) -> RoomRecord:
    """A course session's records, for the course's faculty and administrators (as its chat
    transcript); ``ActivityNotFound`` for a session ``actor`` may not even see."""
    activity, view = await CatalogService(session, clock).activity(activity_id, actor)
    if not permissions.can_manage_course(actor, view.faculty_ids):
        raise PermissionDenied("Only this course's faculty and administrators may do that.")
    return RoomRecord(activity_id, None, activity.title, activity.timezone or "UTC")


async def meeting_record(
    session: AsyncSession, clock: Clock, meeting_id: int, actor: User
) -> RoomRecord:
    """A meeting's records, for its organizer and administrators (the rule of every meeting
    report: ``courses.meeting_attendance.reportable_meeting``)."""
    meeting = await reportable_meeting(session, clock, meeting_id, actor)
    return RoomRecord(None, meeting_id, meeting.title, meeting.timezone)
