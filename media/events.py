"""The facts media/ emits: frozen records, the only contract between media/ and app/.

app/ routes them over the bus; courses/ turns participant joins and leaves into attendance.
Every event carries the room it happened in and the moment (UTC) it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

UserId: TypeAlias = int | str
"""Opaque to media/: whatever identifies the user in app/ (an integer primary key there)."""

LeaveReason: TypeAlias = Literal["left", "kicked", "dropped"]
"""left: hung up (signaling said so, or the peer closed DTLS); kicked: removed by a host or the
server; dropped: vanished without a word (ICE failure or no packets for the configured time)."""

TrackKind: TypeAlias = Literal["audio", "video"]
TrackSource: TypeAlias = Literal["microphone", "camera", "screen"]


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    """The participant's media connection came up (ICE and DTLS connected), not a click."""

    room_id: str
    participant_id: str
    user_id: UserId
    role: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ParticipantLeft:
    """Emitted only for a participant whose ParticipantJoined was emitted."""

    room_id: str
    participant_id: str
    user_id: UserId
    role: str
    reason: LeaveReason
    at: datetime


@dataclass(frozen=True, slots=True)
class TrackPublished:
    room_id: str
    participant_id: str
    track_id: str
    stream_id: str
    """The msid stream id subscribers see; camera and microphone of one participant share it."""
    kind: TrackKind
    source: TrackSource
    at: datetime


@dataclass(frozen=True, slots=True)
class TrackUnpublished:
    room_id: str
    participant_id: str
    track_id: str
    kind: TrackKind
    source: TrackSource
    at: datetime


@dataclass(frozen=True, slots=True)
class ActiveSpeakerChanged:
    """From the RFC 6464 audio levels publishers put in their RTP headers; None: nobody."""

    room_id: str
    participant_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class MuteChanged:
    room_id: str
    participant_id: str
    kind: TrackKind
    muted: bool
    at: datetime


RecordingStopReason: TypeAlias = Literal["stopped", "room_closed", "failed"]
"""stopped: asked to stop; room_closed: the room closed while recording; failed: a write
failed (disk full, say): the room goes on unrecorded, ``error`` says why."""


@dataclass(frozen=True, slots=True)
class RecordingStarted:
    """Everyone in the room should see that it is being recorded."""

    room_id: str
    recording_id: str
    directory: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RecordingStopped:
    """The raw recording in ``directory`` is complete (up to a failure, if ``error``)."""

    room_id: str
    recording_id: str
    directory: str
    reason: RecordingStopReason
    error: str
    at: datetime


MediaEvent: TypeAlias = (
    ParticipantJoined
    | ParticipantLeft
    | TrackPublished
    | TrackUnpublished
    | ActiveSpeakerChanged
    | MuteChanged
    | RecordingStarted
    | RecordingStopped
)
