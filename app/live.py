"""Live rooms wiring: the SFU's configuration from settings, and its event sink."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from app.routing import keys
from app.routing.base import Bus
from app.routing.codec import encode
from app.settings import Settings
from app.signaling.rooms import LiveRooms
from media import events
from media.sfu import IceServer, SfuConfig

if TYPE_CHECKING:
    from app.attendance_events import AttendanceRecorder
    from app.recording_control import RecordingControl

log = structlog.get_logger("rounds.media")


def sfu_config(settings: Settings) -> SfuConfig:
    servers: list[IceServer] = []
    for url in settings.ice_server_urls:
        if url.startswith(("turn:", "turns:")):
            servers.append(IceServer((url,), settings.turn_username or None,
                                     settings.turn_credential or None))
        else:
            servers.append(IceServer((url,)))
    return SfuConfig(
        ice_servers=tuple(servers),
        host_addresses=tuple(settings.host_addresses),
        udp_port_range=settings.udp_port_range,
        max_participants_per_room=settings.max_participants_per_room,
    )


def browser_ice_servers(settings: Settings) -> list[dict[str, Any]]:
    """The same servers in RTCIceServer form, for the browser's RTCPeerConnection."""
    out: list[dict[str, Any]] = []
    for url in settings.ice_server_urls:
        entry: dict[str, Any] = {"urls": [url]}
        if url.startswith(("turn:", "turns:")) and settings.turn_username:
            entry["username"] = settings.turn_username
            entry["credential"] = settings.turn_credential
        out.append(entry)
    return out


class MediaEventRouter:
    """The SFU's event sink: fan out to the room's people, then publish on the bus."""

    def __init__(self, bus: Bus, rooms: LiveRooms | None = None,
                 recording: RecordingControl | None = None,
                 attendance: AttendanceRecorder | None = None) -> None:
        self.bus = bus
        self.rooms = rooms
        self.recording = recording
        self.attendance = attendance

    async def __call__(self, event: events.MediaEvent) -> None:
        if isinstance(event, events.ParticipantJoined | events.ParticipantLeft):
            log.info("media." + type(event).__name__, **encode(event))
        if self.recording is not None:
            try:
                await self.recording.on_event(event)
            except Exception:
                log.exception("recording.event_failed", event=type(event).__name__,
                              room_id=event.room_id)
        if self.attendance is not None:
            try:
                await self.attendance.on_event(event)
            except Exception:
                log.exception("attendance.event_failed", event=type(event).__name__,
                              room_id=event.room_id)
        if self.rooms is not None:
            self.rooms.on_media_event(event)
        await self.bus.publish(keys.MEDIA_EVENTS, encode(event))
