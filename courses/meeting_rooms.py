"""Entering a meeting's live room: who comes in as what, and when the room is open.

A meeting (every occurrence of a series) is held in one room, ``meeting-N``. Its organizer
and administrators come in as hosts; user invitees and guests (by their invitation's link)
as participants. The room serves the occurrence in progress, or the next one from
``EARLY_ENTRY`` before it starts (hosts from ``HOST_EARLY_ENTRY``), until ``OVERRUN_GRACE``
after it ends. A cancelled meeting, or one whose last occurrence is over, has no room."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.clock import Clock
from courses.errors import SessionNotYetOpen, SessionOver
from courses.meetings import (
    MeetingCancelled,
    MeetingNotFound,
    MeetingService,
    all_occurrences,
    meeting_room_id,
)
from courses.models import Meeting, MeetingInvitee, User
from courses.recurrence import Occurrence
from courses.rooms import Person, RoomPolicyService

EARLY_ENTRY = timedelta(minutes=15)
HOST_EARLY_ENTRY = timedelta(minutes=60)
OVERRUN_GRACE = timedelta(minutes=30)
GUEST_NAME_MAX = 80


class RemovedFromRoom(SessionOver):
    code = "removed"


@dataclass(frozen=True)
class MeetingPass:
    """Permission to enter a meeting's room for one occurrence."""

    meeting: Meeting
    occurrence: Occurrence
    is_host: bool
    display_name: str
    user: User | None = None
    guest: MeetingInvitee | None = None

    @property
    def room_id(self) -> str:
        return meeting_room_id(self.meeting.id or 0)

    @property
    def closes_at(self) -> datetime:
        return self.occurrence.ends_at + OVERRUN_GRACE

    @property
    def person(self) -> Person:
        if self.guest is not None:
            return Person(guest_id=self.guest.id)
        assert self.user is not None
        return Person(user_id=self.user.id)


def hosts(meeting: Meeting, user: User) -> bool:
    """Whether ``user`` hosts ``meeting``'s room: its organizer, or an administrator."""
    return meeting.organizer_id == user.id or permissions.is_admin(user)


def opens_at(occurrence: Occurrence, *, is_host: bool) -> datetime:
    """When the room lets its hosts, or everyone else, in for ``occurrence``."""
    return occurrence.starts_at - (HOST_EARLY_ENTRY if is_host else EARLY_ENTRY)


def occurrence_open(meeting: Meeting, now: datetime, *, is_host: bool) -> Occurrence:
    """The occurrence whose room is open at ``now``, or the domain error saying when it
    opens or that the meeting is over."""
    if meeting.cancelled:
        raise MeetingCancelled("This meeting was cancelled.")
    early = HOST_EARLY_ENTRY if is_host else EARLY_ENTRY
    following = [o for o in all_occurrences(meeting) if now < o.ends_at + OVERRUN_GRACE]
    if not following:
        raise SessionOver("This meeting has ended.")
    occurrence = following[0]
    if now < opens_at(occurrence, is_host=is_host):
        minutes = int(early.total_seconds() // 60)
        raise SessionNotYetOpen(
            f"The room opens {minutes} minutes before the meeting starts "
            f"({occurrence.starts_at.isoformat()})."
        )
    return occurrence


def clean_guest_name(value: object, fallback: str) -> str:
    """The name a guest gives, or the one on their invitation; control characters dropped."""
    text = "".join(ch for ch in str(value or "") if ch.isprintable()).strip()
    return (text or fallback or "Guest")[:GUEST_NAME_MAX]


class MeetingRoomService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.meetings = MeetingService(session, clock)
        self.policies = RoomPolicyService(session, clock)

    async def _check_ban(self, meeting: Meeting, person: Person) -> None:
        if await self.policies.is_banned(meeting_room_id(meeting.id or 0), person):
            raise RemovedFromRoom("A host removed you from this meeting; you cannot rejoin it.")

    async def admit_user(self, meeting_id: int, user: User) -> MeetingPass:
        """A signed-in person's pass: the organizer and administrators host; invitees take
        part; anyone else finds no such meeting (``MeetingNotFound``)."""
        view = await self.meetings.visible(meeting_id, user)
        meeting = view.meeting
        is_host = hosts(meeting, user)
        occurrence = occurrence_open(meeting, self.clock.now(), is_host=is_host)
        await self._check_ban(meeting, Person(user_id=user.id))
        return MeetingPass(meeting, occurrence, is_host, user.display_name, user=user)

    async def admit_guest(self, meeting_id: int, token: str, name: object = None) -> MeetingPass:
        """A guest's pass from their invitation's link (for this meeting only). With ``name``
        the guest's display name is saved on their invitation."""
        guest = await self.meetings.guest_by_token(meeting_id, token)
        if guest is None:
            raise MeetingNotFound(
                "This invitation link is not valid for this meeting. Use the link in the "
                "newest invitation you were sent, or ask the organizer for a new one."
            )
        meeting = await self.session.get(Meeting, meeting_id)
        assert meeting is not None
        occurrence = occurrence_open(meeting, self.clock.now(), is_host=False)
        await self._check_ban(meeting, Person(guest_id=guest.id))
        if name is not None:
            guest.name = clean_guest_name(name, guest.name or (guest.email or ""))
            self.session.add(guest)
            await self.session.flush()
        display = guest.name or (guest.email or "Guest").split("@")[0]
        return MeetingPass(meeting, occurrence, False, display, guest=guest)
