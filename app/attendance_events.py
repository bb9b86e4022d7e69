"""Attendance from the media server's own events: each participant connection of an
"activity-N" room becomes an attendance span of live session N (see courses.attendance), and
each one of a "meeting-N" room a connection to meeting N (courses.meeting_attendance). Both
publish the ``participant.joined`` / ``participant.left`` webhooks.

In a meeting's room a user arrives as ``user_id: int`` and a guest as
``user_id: "guest:<invitee id>"``.

Runs in the process hosting the room, called by ``app.live.MediaEventRouter``."""

from __future__ import annotations

import re

import structlog

from app.webhooks.events import (
    PARTICIPANT_JOINED,
    PARTICIPANT_LEFT,
    participant_data,
    publish_quietly,
)
from app.wiring import Services
from courses.attendance import AttendanceService
from courses.live_sessions import activity_id_of
from courses.meeting_attendance import MeetingAttendanceService
from courses.meetings import meeting_id_of
from media import events

log = structlog.get_logger(__name__)

GUEST = re.compile(r"^guest:([1-9][0-9]{0,9})$")

Presence = events.ParticipantJoined | events.ParticipantLeft


def guest_id_of(user_id: events.UserId) -> int | None:
    """The invitation id of a meeting guest ("guest:<id>"); None for anyone else."""
    match = GUEST.fullmatch(user_id) if isinstance(user_id, str) else None
    return int(match.group(1)) if match else None


def account_id_of(user_id: events.UserId) -> int | None:
    """A signed-in user's id; None for a guest or anything unexpected."""
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None


class AttendanceRecorder:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def on_event(self, event: events.MediaEvent) -> None:
        if not isinstance(event, events.ParticipantJoined | events.ParticipantLeft):
            return
        activity_id = activity_id_of(event.room_id)
        if activity_id is not None:
            await self._session(event, activity_id)
            return
        meeting_id = meeting_id_of(event.room_id)
        if meeting_id is not None:
            await self._meeting(event, meeting_id)
        # any other room is ad hoc: no attendance to keep

    async def _session(self, event: Presence, activity_id: int) -> None:
        joined = isinstance(event, events.ParticipantJoined)
        async with self.services.unit() as unit:
            service = AttendanceService(unit.session, unit.clock)
            if isinstance(event, events.ParticipantJoined):
                user_id = account_id_of(event.user_id)
                if user_id is None:
                    log.warning("attendance.not_a_user", room_id=event.room_id,
                                participant_id=event.participant_id)
                    return
                await service.joined(
                    activity_id=activity_id, room_id=event.room_id,
                    participant_id=event.participant_id, user_id=user_id,
                    role=event.role, at=event.at,
                )
            else:
                await service.left(
                    participant_id=event.participant_id, reason=event.reason, at=event.at,
                )
        await publish_quietly(self.services, PARTICIPANT_JOINED if joined else PARTICIPANT_LEFT,
                              participant_data(event, activity_id))

    async def _meeting(self, event: Presence, meeting_id: int) -> None:
        guest_id = guest_id_of(event.user_id)
        user_id = account_id_of(event.user_id)
        if guest_id is None and user_id is None:
            log.warning("meeting_attendance.not_a_person", room_id=event.room_id,
                        participant_id=event.participant_id, user_id=repr(event.user_id))
            return
        async with self.services.unit() as unit:
            service = MeetingAttendanceService(unit.session, unit.clock)
            if isinstance(event, events.ParticipantJoined):
                await service.joined(
                    meeting_id=meeting_id, participant_id=event.participant_id,
                    user_id=user_id, guest_id=guest_id, role=event.role, at=event.at,
                )
            else:
                await service.left(
                    participant_id=event.participant_id, reason=event.reason, at=event.at
                )
        joined = isinstance(event, events.ParticipantJoined)
        await publish_quietly(self.services, PARTICIPANT_JOINED if joined else PARTICIPANT_LEFT,
                              participant_data(event, None, meeting_id=meeting_id,
                                               guest_id=guest_id))
