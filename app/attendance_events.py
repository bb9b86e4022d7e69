"""Attendance from the media server's own events: each participant connection of an
"activity-N" room becomes an attendance span of live session N (see courses.attendance).

Runs in the process hosting the room, called by ``app.live.MediaEventRouter``."""

from __future__ import annotations

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
from media import events

log = structlog.get_logger(__name__)


class AttendanceRecorder:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def on_event(self, event: events.MediaEvent) -> None:
        if isinstance(event, events.ParticipantJoined):
            activity_id = activity_id_of(event.room_id)
            if activity_id is None:
                return  # an ad hoc room: no attendance to keep
            if not isinstance(event.user_id, int):
                log.warning("attendance.not_a_user", room_id=event.room_id,
                            participant_id=event.participant_id)
                return
            async with self.services.unit() as unit:
                await AttendanceService(unit.session, unit.clock).joined(
                    activity_id=activity_id, room_id=event.room_id,
                    participant_id=event.participant_id, user_id=event.user_id,
                    role=event.role, at=event.at,
                )
            await publish_quietly(self.services, PARTICIPANT_JOINED,
                                  participant_data(event, activity_id))
        elif isinstance(event, events.ParticipantLeft):
            activity_id = activity_id_of(event.room_id)
            if activity_id is None:
                return
            async with self.services.unit() as unit:
                await AttendanceService(unit.session, unit.clock).left(
                    participant_id=event.participant_id, reason=event.reason, at=event.at,
                )
            await publish_quietly(self.services, PARTICIPANT_LEFT,
                                  participant_data(event, activity_id))
