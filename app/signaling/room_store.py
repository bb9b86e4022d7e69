"""What live rooms keep outside the process: a room's guest policy and its bans
(courses.rooms), and the meeting started / ended webhooks.

Set on ``LiveRooms.store`` by the app; without one (tests of the bare signaling layer) rooms
use the default policy, bans last as long as the running room, and nothing is published."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from app.webhooks.events import MEETING_ENDED, MEETING_STARTED, publish_quietly
from courses.meetings import meeting_id_of
from courses.models import GuestPolicy
from courses.rooms import Person, RoomPolicyService

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)


class RoomStore:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def policy(self, room_id: str) -> GuestPolicy:
        async with self.services.unit() as unit:
            return await RoomPolicyService(unit.session, unit.clock).policy(room_id)

    async def set_policy(self, room_id: str, policy: GuestPolicy, by: int | None) -> None:
        async with self.services.unit() as unit:
            await RoomPolicyService(unit.session, unit.clock).set_policy(room_id, policy, by)

    async def ban(self, room_id: str, person: Person, name: str, by: int | None) -> None:
        async with self.services.unit() as unit:
            await RoomPolicyService(unit.session, unit.clock).ban(room_id, person, name, by)

    async def is_banned(self, room_id: str, person: Person) -> bool:
        async with self.services.unit() as unit:
            return await RoomPolicyService(unit.session, unit.clock).is_banned(room_id, person)

    async def started(self, room_id: str, title: str, occurrence_at: datetime,
                      by: int | None, at: datetime) -> None:
        """A room opened: for a meeting's room, the meeting.started webhook."""
        meeting_id = meeting_id_of(room_id)
        if meeting_id is None:
            return
        await publish_quietly(self.services, MEETING_STARTED, {
            "meeting_id": meeting_id, "room_id": room_id, "title": title,
            "occurrence_starts_at": occurrence_at, "started_at": at, "started_by": by,
        })

    async def ended(self, room_id: str, title: str, occurrence_at: datetime,
                    started_at: datetime, at: datetime, reason: str, by_host: bool) -> None:
        """A room closed for everyone: for a meeting's room, the meeting.ended webhook."""
        meeting_id = meeting_id_of(room_id)
        if meeting_id is None:
            return
        await publish_quietly(self.services, MEETING_ENDED, {
            "meeting_id": meeting_id, "room_id": room_id, "title": title,
            "occurrence_starts_at": occurrence_at, "started_at": started_at, "ended_at": at,
            "minutes": round((at - started_at).total_seconds() / 60, 1),
            "ended_by": "host" if by_host else "schedule", "reason": reason,
        })
