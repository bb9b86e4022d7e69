"""The live rooms this process serves: presence, opening and closing, event fan-out.

media.sfu forwards the media; this keeps what the people in the room see of each other
(who is here, whose stream is whose, who speaks, who is muted) and the room's schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from app.join_tokens import JoinGrant
from app.signaling.chat import ChatStore, RaisedHand, hand_queue, lower_on_leave
from app.signaling.lobby import Waiting, lobby_queue, room_state
from app.signaling.outbox import Outbox
from courses.models import GuestPolicy
from courses.rooms import DEFAULT_POLICY, Person, person_of
from media import events
from media.sfu import Grants, Participant, ParticipantInfo, Room, Sfu
from media.sfu.errors import SfuError

if TYPE_CHECKING:
    from app.recording_control import RecordingControl
    from app.signaling.interaction_store import InteractionStore
    from app.signaling.room_store import RoomStore

log = structlog.get_logger(__name__)

ROOM_CLOSED = 4410


@dataclass
class Presence:
    participant_id: str
    user_id: int
    display_name: str
    role: str
    is_host: bool
    """Host powers now: the grant's hosts, and anyone a host made a co-host."""
    outbox: Outbox
    guest_id: int | None = None
    """A meeting guest (``user_id`` is then 0)."""
    can_share_screen: bool = False
    primary_host: bool = False
    """A host by right (the course's faculty, the meeting's organizer, an administrator):
    co-hosts cannot remove or demote them."""

    @property
    def person(self) -> Person:
        return person_of(self.user_id, self.guest_id)

    @property
    def person_key(self) -> str:
        """Who this is across devices and reconnects (``courses.rooms.Person.key``)."""
        return self.person.key

    def public(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant_id,
            "user_id": self.user_id,
            "display_name": self.display_name,
            "role": self.role,
            "is_host": self.is_host,
            "can_share_screen": self.can_share_screen,
            "guest": self.guest_id is not None,
        }


@dataclass
class LiveRoom:
    room_id: str
    title: str
    starts_at: datetime
    closes_at: datetime
    present: dict[str, Presence] = field(default_factory=dict)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    closed_by_host: bool = False
    auto_record_started: bool = False
    """The session's automatic recording was started once; a host who stops it wins."""
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    hands: dict[str, RaisedHand] = field(default_factory=dict)
    """Raised hands by participant id, in the order they went up (app.signaling.chat)."""
    policy: GuestPolicy = DEFAULT_POLICY
    settings_loaded: bool = False
    """The policy was read from the store (once per running room)."""
    locked: bool = False
    lobby: dict[str, Waiting] = field(default_factory=dict)
    """People waiting to be let in, in order of arrival (app.signaling.lobby)."""
    banned: set[str] = field(default_factory=set)
    """Person keys removed for good while this room ran (the store keeps them too)."""
    started_at: datetime | None = None
    """When the room last opened with someone in it (for meeting started/ended)."""

    def broadcast(self, message: dict[str, Any], *, skip: str | None = None) -> None:
        for presence in self.present.values():
            if presence.participant_id != skip:
                presence.outbox.send(message)


def _screens(sfu_room: Room | None) -> list[str]:
    """The stream ids that carry a screen share, so clients can lay them out as such."""
    if sfu_room is None:
        return []
    return sorted({t.stream_id for t in sfu_room.tracks() if t.source == "screen"})


def _gone(room: LiveRoom, participant_id: str, reason: events.LeaveReason) -> None:
    """Someone is no longer in the room (already off ``present``): tell the others, and
    take their hand down."""
    room.broadcast({"type": "participant_left", "participant_id": participant_id,
                    "reason": reason})
    lower_on_leave(room, participant_id)


class LiveRooms:
    def __init__(self, sfu: Sfu, clock: Any) -> None:
        self.sfu = sfu
        self.clock = clock
        self._rooms: dict[str, LiveRoom] = {}
        self.recording: RecordingControl | None = None
        """Set by the app when this process may record (it has a media root)."""
        self.chat_store: ChatStore | None = None
        """Set by the app: keeps chat messages with the session (None: delivered, not kept)."""
        self.interaction_store: InteractionStore | None = None
        """Set by the app: keeps polls and Q&A (None: only reactions work)."""
        self.store: RoomStore | None = None
        """Set by the app: guest policies and bans in the database, meeting webhooks."""

    def room(self, grant: JoinGrant) -> LiveRoom:
        room = self._rooms.get(grant.room_id)
        if room is None:
            room = LiveRoom(
                room_id=grant.room_id,
                title=grant.title,
                starts_at=datetime.fromisoformat(grant.starts_at),
                closes_at=datetime.fromisoformat(grant.closes_at),
            )
            self._rooms[grant.room_id] = room
            self._schedule(room)
        return room

    def _schedule(self, room: LiveRoom) -> None:
        loop = asyncio.get_running_loop()
        now = self.clock.now()
        to_start = (room.starts_at - now).total_seconds()
        if to_start <= 0:
            room.opened.set()
        else:
            room.timers.append(loop.call_later(to_start, self._open_on_schedule, room))
        to_close = max(0.0, (room.closes_at - now).total_seconds())
        room.timers.append(
            loop.call_later(to_close, lambda: asyncio.ensure_future(
                self.close(room.room_id, "The scheduled session has ended.")
            ))
        )

    def _open_on_schedule(self, room: LiveRoom) -> None:
        if not room.closed_by_host:
            room.opened.set()
            log.info("room.opened", room_id=room.room_id, by="schedule")

    async def load_settings(self, room: LiveRoom) -> None:
        """Read the room's guest policy from the store, once per running room."""
        if room.settings_loaded or self.store is None:
            return
        try:
            room.policy = await self.store.policy(room.room_id)
        except Exception:
            log.exception("room.policy_load_failed", room_id=room.room_id)
            return
        room.settings_loaded = True

    async def is_banned(self, room: LiveRoom, grant: JoinGrant) -> bool:
        person = person_of(grant.user_id, grant.guest_id)
        if person.key in room.banned:
            return True
        if self.store is None:
            return False
        return await self.store.is_banned(room.room_id, person)

    def is_open(self, room: LiveRoom, grant: JoinGrant) -> bool:
        if grant.is_host:
            return True
        return room.opened.is_set() and not room.closed_by_host

    async def enter(self, room: LiveRoom, grant: JoinGrant, participant_id: str,
                    outbox: Outbox) -> Participant:
        """Put the person in the SFU room and tell the others; a host opens the room."""
        if grant.is_host and not room.opened.is_set():
            log.info("room.opened", room_id=room.room_id, by="host", user_id=grant.user_id)
        if grant.is_host:
            room.closed_by_host = False
            room.opened.set()
        participant = self.sfu.room(room.room_id).join(
            participant_id,
            ParticipantInfo(
                # A meeting guest has no account: attendance tells them apart by this.
                user_id=f"guest:{grant.guest_id}" if grant.guest_id is not None
                else grant.user_id,
                display_name=grant.display_name,
                role=grant.role,
                grants=Grants(
                    can_publish=grant.can_publish,
                    can_subscribe=grant.can_subscribe,
                    can_share_screen=grant.can_share_screen,
                    is_host=grant.is_host,
                ),
            ),
        )
        presence = Presence(participant_id, grant.user_id, grant.display_name, grant.role,
                            grant.is_host, outbox, guest_id=grant.guest_id,
                            can_share_screen=grant.can_share_screen,
                            primary_host=grant.is_host)
        room.present[participant_id] = presence
        room.broadcast({"type": "participant_joined", "participant": presence.public()},
                       skip=participant_id)
        log.info("room.entered", room_id=room.room_id, participant_id=participant_id,
                 user_id=grant.user_id, guest_id=grant.guest_id, role=grant.role)
        if room.started_at is None:
            room.started_at = self.clock.now()
            if self.store is not None:
                await self.store.started(room.room_id, room.title, room.starts_at,
                                         grant.user_id or None, room.started_at)
        if grant.auto_record and not room.auto_record_started and self.recording is not None:
            room.auto_record_started = True
            if self.recording.active(room.room_id) is None:
                problem = await self.set_recording(room, True, grant, automatic=True)
                if problem:
                    log.error("recording.auto_start_failed", room_id=room.room_id,
                              error=problem)
        return participant

    async def set_recording(self, room: LiveRoom, on: bool, grant: JoinGrant, *,
                            automatic: bool = False) -> str:
        """Start or stop recording the room; '' on success, else what went wrong."""
        control = self.recording
        if control is None:
            return "Recording is not available on this server."
        if on:
            if control.active(room.room_id) is not None:
                return ""
            return await control.start(room.room_id, title=room.title,
                                       started_by=None if automatic else grant.user_id)
        await control.stop(room.room_id)
        return ""

    def recording_state(self, room_id: str) -> dict[str, Any]:
        active = self.recording.active(room_id) if self.recording is not None else None
        if active is None:
            return {"active": False}
        return {"active": True, "started_at": active.started_at.isoformat(),
                "recording_id": active.recording_id}

    def snapshot(self, room: LiveRoom, *, host: bool = False) -> dict[str, Any]:
        """What a newcomer sees of the room; ``host``: with the lobby's queue too."""
        found = self._snapshot(room)
        if host:
            found["lobby"] = lobby_queue(room)
        return found

    def _snapshot(self, room: LiveRoom) -> dict[str, Any]:
        sfu_room = self.sfu.get_room(room.room_id)
        return {
            "participants": [p.public() for p in room.present.values()],
            "streams": sfu_room.stream_owners() if sfu_room else {},
            "screens": _screens(sfu_room),
            "active_speaker": sfu_room.active_speaker if sfu_room else None,
            "recording": self.recording_state(room.room_id),
            "hands": hand_queue(room),
            "room_state": room_state(room),
            "muted": {
                pid: {k: p.is_muted(k) for k in ("audio", "video")}
                for pid, p in ((pid, sfu_room.participant(pid)) for pid in room.present)
                if p is not None
            } if sfu_room else {},
        }

    async def leave(self, room_id: str, participant_id: str, reason: events.LeaveReason) -> None:
        room = self._rooms.get(room_id)
        if room is None or room.present.pop(participant_id, None) is None:
            return
        sfu_room = self.sfu.get_room(room_id)
        if sfu_room is not None:
            with contextlib.suppress(SfuError):
                await sfu_room.leave(participant_id, reason)
        _gone(room, participant_id, reason)
        log.info("room.left", room_id=room_id, participant_id=participant_id, reason=reason)

    async def close(self, room_id: str, reason: str, *, by_host: bool = False) -> None:
        """End the session for everyone in the room."""
        room = self._rooms.get(room_id)
        if room is None:
            return
        if by_host:
            room.closed_by_host = True
            room.opened.clear()
        else:
            self._rooms.pop(room_id, None)
            for timer in room.timers:
                timer.cancel()
        outboxes = [p.outbox for p in room.present.values()]
        outboxes += [w.outbox for w in room.lobby.values()]
        for outbox in outboxes:
            outbox.send({"type": "room_closed", "reason": reason})
            outbox.close(ROOM_CLOSED, "room closed")
        room.present.clear()
        room.lobby.clear()
        room.hands.clear()
        await self.sfu.close_room(room_id)
        log.info("room.closed", room_id=room_id, reason=reason, by_host=by_host)
        started, room.started_at = room.started_at, None
        if started is not None and self.store is not None:
            await self.store.ended(room_id, room.title, room.starts_at, started,
                                   self.clock.now(), reason, by_host)

    async def close_all(self) -> None:
        for room_id in list(self._rooms):
            await self.close(room_id, "The server is restarting; rejoin in a moment.")

    def on_media_event(self, event: events.MediaEvent) -> None:
        """Fan the SFU's facts out to the people in the room."""
        room = self._rooms.get(event.room_id)
        if room is None:
            return
        if isinstance(event, events.TrackPublished | events.TrackUnpublished):
            sfu_room = self.sfu.get_room(event.room_id)
            room.broadcast({"type": "streams",
                            "streams": sfu_room.stream_owners() if sfu_room else {},
                            "screens": _screens(sfu_room)})
        elif isinstance(event, events.ActiveSpeakerChanged):
            room.broadcast({"type": "active_speaker", "participant_id": event.participant_id})
        elif isinstance(event, events.RecordingStarted | events.RecordingStopped):
            room.broadcast({"type": "recording", **self.recording_state(event.room_id)})
        elif isinstance(event, events.MuteChanged):
            room.broadcast({"type": "mute", "participant_id": event.participant_id,
                            "kind": event.kind, "muted": event.muted})
        elif isinstance(event, events.ParticipantLeft) and event.reason == "dropped":
            presence = room.present.pop(event.participant_id, None)
            if presence is not None:
                presence.outbox.send({"type": "error", "code": "connection_lost",
                                      "message": "Your media connection was lost; rejoining."})
                presence.outbox.close(4000, "media connection lost")
                _gone(room, event.participant_id, "dropped")
