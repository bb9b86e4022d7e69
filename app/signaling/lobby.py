"""The waiting room: people the guest policy holds at the door until a host lets them in.

Each waiting person's socket sits in ``SignalingSession`` on ``Waiting.decision``; a host's
``admit`` or ``deny`` settles it. Hosts see the queue, in order of arrival, in ``welcome``
(as ``lobby``) and in every ``lobby_queue`` message after a change; everyone sees the room's
lock and policy (``room_state``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from app.signaling.outbox import Outbox
from courses.rooms import Entry, admission

if TYPE_CHECKING:
    from app.signaling.rooms import LiveRoom

log = structlog.get_logger(__name__)


@dataclass
class Waiting:
    participant_id: str
    name: str
    role: str
    guest: bool
    arrived_at: datetime
    outbox: Outbox
    decision: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def public(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant_id,
            "name": self.name,
            "role": self.role,
            "guest": self.guest,
            "arrived_at": self.arrived_at.isoformat(),
        }


def lobby_queue(room: LiveRoom) -> list[dict[str, Any]]:
    return [waiting.public() for waiting in room.lobby.values()]


def room_state(room: LiveRoom) -> dict[str, Any]:
    return {"locked": room.locked, "guest_policy": room.policy.value}


def tell_hosts(room: LiveRoom) -> None:
    message = {"type": "lobby_queue", "waiting": lobby_queue(room)}
    for presence in room.present.values():
        if presence.is_host:
            presence.outbox.send(message)


def wait(room: LiveRoom, waiting: Waiting) -> None:
    room.lobby[waiting.participant_id] = waiting
    log.info("room.lobby_waiting", room_id=room.room_id, participant_id=waiting.participant_id,
             guest=waiting.guest)
    tell_hosts(room)


def gone(room: LiveRoom, participant_id: str) -> None:
    """The person left the lobby (let in, turned away, or gave up)."""
    if room.lobby.pop(participant_id, None) is not None:
        tell_hosts(room)


def decide(room: LiveRoom, participant_ids: list[str], admit: bool, by: str) -> int:
    """Let in (or turn away) these waiting people; how many there were."""
    decided = 0
    for participant_id in participant_ids:
        waiting = room.lobby.pop(participant_id, None)
        if waiting is None or waiting.decision.done():
            continue
        waiting.decision.set_result(admit)
        decided += 1
        log.info("room.lobby_admitted" if admit else "room.lobby_denied", room_id=room.room_id,
                 participant_id=participant_id, by=by)
    if decided:
        tell_hosts(room)
    return decided


def reconsider(room: LiveRoom) -> None:
    """After the policy changed: let in whoever it now admits outright (the rest wait on)."""
    admitted = [
        w.participant_id for w in room.lobby.values()
        if admission(room.policy, is_host=False, is_guest=w.guest, locked=room.locked,
                     banned=False).entry is Entry.ENTER
    ]
    decide(room, admitted, True, by="policy")
