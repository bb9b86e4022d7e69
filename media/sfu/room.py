"""Room: the participants of one conference and who receives whose tracks.

Everyone who may subscribe receives every track the others publish. A re-publish of the same
source (a new camera track, say) is carried on the subscribers' existing m-lines, so their
video continues without renegotiation. The room also runs the clock of its participants'
RTCP and of the active-speaker decision, and emits the facts app/ needs. While it records
(``start_recording``), what it emits is also logged beside the tracks, which the recording taps.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from media.events import (
    ActiveSpeakerChanged,
    LeaveReason,
    MediaEvent,
    MuteChanged,
    ParticipantJoined,
    ParticipantLeft,
    RecordingStarted,
    RecordingStopped,
    RecordingStopReason,
    TrackKind,
    TrackPublished,
    TrackUnpublished,
)
from media.recording.recorder import RecordingError, RecordingSummary, RoomRecording

from .config import SfuConfig
from .errors import ParticipantExists, RoomClosed, RoomFull
from .info import ParticipantInfo, TrackInfo
from .participant import Participant
from .publisher import PublishedTrack
from .speaker import ActiveSpeakerDetector

PacketFilter = Callable[[str, memoryview, int], bool]


class Room:
    def __init__(
        self,
        room_id: str,
        config: SfuConfig,
        emit: Callable[[MediaEvent], None],
        clock: Callable[[], datetime],
        packet_filter: PacketFilter | None = None,
    ) -> None:
        self.room_id = room_id
        self._config = config
        self._sink = emit
        self._clock = clock
        self._packet_filter = packet_filter
        self._log = structlog.get_logger(__name__).bind(room_id=room_id)
        self.participants: dict[str, Participant] = {}
        self._joined: set[str] = set()
        self._leaving: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._closed = False
        self._recording: RoomRecording | None = None
        self.speaker = ActiveSpeakerDetector(
            threshold_dbov=config.speaker_threshold_dbov,
            switch_margin_db=config.speaker_switch_margin_db,
            switch_intervals=config.speaker_switch_intervals,
        )

    # -- public API ------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def active_speaker(self) -> str | None:
        return self.speaker.current

    def join(self, participant_id: str, info: ParticipantInfo) -> Participant:
        """A participant enters; media flows once it has offered and connected."""
        if self._closed:
            raise RoomClosed(f"room {self.room_id} is closed")
        if participant_id in self.participants:
            raise ParticipantExists(f"{participant_id} is already in room {self.room_id}")
        if len(self.participants) >= self._config.max_participants_per_room:
            raise RoomFull(f"room {self.room_id} is full")
        participant = Participant(
            self.room_id, participant_id, info, self._config, self, self._packet_filter
        )
        self.participants[participant_id] = participant
        self._start_ticker()
        self._log.info("participant joined", participant_id=participant_id, role=info.role)
        return participant

    def participant(self, participant_id: str) -> Participant | None:
        return self.participants.get(participant_id)

    def has_connected(self, participant_id: str) -> bool:
        """Whether the participant's media connected (its ParticipantJoined was emitted)."""
        return participant_id in self._joined

    # -- recording -------------------------------------------------------------------------
    @property
    def recording(self) -> RoomRecording | None:
        """The recording under way (until it has stopped), or None."""
        return self._recording

    def start_recording(
        self, directory: Path, recording_id: str, *, layout: str = "presenter"
    ) -> RoomRecording:
        """Record every track at the RTP level into ``directory`` (created; it must not hold
        a recording yet), and what happens in the room beside them; emits RecordingStarted.
        Raises RoomClosed, or RecordingError (already recording, bad layout, unusable
        directory)."""
        if self._closed:
            raise RoomClosed(f"room {self.room_id} is closed")
        if self._recording is not None:
            raise RecordingError(
                f"room {self.room_id} is already recording ({self._recording.recording_id});"
                " stop that recording first"
            )
        recording = RoomRecording(
            self, Path(directory), recording_id, layout=layout, on_stopped=self._recording_stopped
        )
        recording.start()
        self._recording = recording
        self._sink(RecordingStarted(self.room_id, recording_id, str(recording.directory),
                                    self._clock()))
        return recording

    async def stop_recording(
        self, reason: RecordingStopReason = "stopped"
    ) -> RecordingSummary | None:
        """Stop the recording (files flushed, fsynced, closed; manifest with ``stopped_at``);
        emits RecordingStopped. None if the room was not recording."""
        recording = self._recording
        if recording is None:
            return None
        return await recording.stop(reason)

    def _recording_stopped(self, recording: RoomRecording, summary: RecordingSummary) -> None:
        if self._recording is recording:
            self._recording = None
        self._sink(
            RecordingStopped(
                self.room_id,
                recording.recording_id,
                str(recording.directory),
                summary.reason,
                summary.error,
                self._clock(),
            )
        )

    async def leave(self, participant_id: str, reason: LeaveReason = "left") -> None:
        """Remove a participant (kicked by a host, hung up, dropped); idempotent."""
        participant = self.participants.pop(participant_id, None)
        if participant is None:
            return
        self._leaving.discard(participant_id)
        tracks = list(participant.publisher.tracks.values())
        for track in tracks:
            participant.publisher.remove(track)
        self._unpublish(participant, tracks)
        if self.speaker.forget(participant_id):
            self._emit(ActiveSpeakerChanged(self.room_id, None, self._clock()))
        await participant.close()
        self._log.info("participant left", participant_id=participant_id, reason=reason)
        if participant_id in self._joined:
            self._joined.discard(participant_id)
            info = participant.info
            self._emit(
                ParticipantLeft(
                    self.room_id, participant_id, info.user_id, info.role, reason, self._clock()
                )
            )

    def tracks(self) -> list[TrackInfo]:
        return [t for p in self.participants.values() for t in p.tracks()]

    def stream_owners(self) -> dict[str, str]:
        """msid stream id -> participant id, to label the tiles of received tracks."""
        return {s: pid for pid, p in self.participants.items() for s in p.stream_ids()}

    async def close(self) -> None:
        """Everyone leaves (reason 'left'); the room accepts nobody after this."""
        self._closed = True
        for participant_id in list(self.participants):
            await self.leave(participant_id, "left")
        if self._tasks:  # leaves already under way
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._recording is not None:
            await self.stop_recording("room_closed")
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def _emit(self, event: MediaEvent) -> None:
        """To app/'s sink, and to the event log of the recording under way."""
        recording = self._recording
        if recording is not None:
            recording.on_event(event)
        self._sink(event)

    # -- what participants tell the room ---------------------------------------------------
    def publications_changed(
        self, participant: Participant, removed: list[PublishedTrack], added: list[PublishedTrack]
    ) -> None:
        if self.participants.get(participant.participant_id) is not participant:
            return  # it left meanwhile; leave() unpublished what it had
        removed = list(removed)
        others = [p for p in self.participants.values() if p is not participant]
        for track in added:
            if track.kind == "audio":
                track.forwarder.speaker_slot = self.speaker.slot(participant.participant_id)
            old = next((t for t in removed if t.source == track.source), None)
            for other in others:
                if old is not None and other.subscriber.switch(old, track):
                    continue
                if old is not None:
                    other.subscriber.unsubscribe(old)
                if other.info.grants.can_subscribe:
                    other.subscriber.subscribe(track)
            if old is not None:
                removed.remove(old)
                self._unpublished_event(participant, old)
            self._emit(
                TrackPublished(
                    self.room_id,
                    participant.participant_id,
                    track.track_id,
                    track.stream_id,
                    track.kind,
                    track.source,
                    self._clock(),
                )
            )
        self._unpublish(participant, removed)

    def _unpublish(self, participant: Participant, tracks: list[PublishedTrack]) -> None:
        for track in tracks:
            for other in self.participants.values():
                if other is not participant:
                    other.subscriber.unsubscribe(track)
            self._unpublished_event(participant, track)
        for other in self.participants.values():
            if other is not participant and other.subscriber.needs_offer:
                other.renegotiate()

    def _unpublished_event(self, participant: Participant, track: PublishedTrack) -> None:
        if track.forwarder.speaker_slot is not None:
            self.speaker.remove(track.forwarder.speaker_slot)
            track.forwarder.speaker_slot = None
        for downtrack in list(track.forwarder.downtracks):
            downtrack.deactivate()
        self._emit(
            TrackUnpublished(
                self.room_id,
                participant.participant_id,
                track.track_id,
                track.kind,
                track.source,
                self._clock(),
            )
        )

    def first_negotiation_done(self, participant: Participant) -> None:
        if self.participants.get(participant.participant_id) is not participant:
            return
        if not participant.info.grants.can_subscribe:
            return
        for other in self.participants.values():
            if other is not participant:
                for track in other.publisher.tracks.values():
                    participant.subscriber.subscribe(track)

    def mute_changed(self, participant: Participant, kind: TrackKind, muted: bool) -> None:
        self._emit(
            MuteChanged(self.room_id, participant.participant_id, kind, muted, self._clock())
        )

    def connected(self, participant: Participant) -> None:
        if participant.participant_id in self._joined:
            return
        self._joined.add(participant.participant_id)
        info = participant.info
        self._emit(
            ParticipantJoined(
                self.room_id, participant.participant_id, info.user_id, info.role, self._clock()
            )
        )

    def connection_lost(self, participant: Participant, reason: LeaveReason) -> None:
        participant_id = participant.participant_id
        if self.participants.get(participant_id) is not participant:
            return
        if participant_id in self._leaving:
            return
        self._leaving.add(participant_id)
        self._log.warning("connection lost", participant_id=participant_id, reason=reason)
        self._spawn(self.leave(participant_id, reason))

    # -- the room's clock ------------------------------------------------------------------
    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _start_ticker(self) -> None:
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        config = self._config
        step = min(config.speaker_interval, config.rtcp_interval) / 2
        now = time.monotonic()
        speaker_due = now + config.speaker_interval
        rtcp_due = now + config.rtcp_interval * random.uniform(0.5, 1.0)  # noqa: S311
        while True:
            await asyncio.sleep(step)
            now = time.monotonic()
            try:
                if now >= speaker_due:
                    speaker_due = now + config.speaker_interval
                    if self.speaker.decide():
                        self._emit(
                            ActiveSpeakerChanged(self.room_id, self.speaker.current, self._clock())
                        )
                if now >= rtcp_due:
                    rtcp_due = now + config.rtcp_interval * random.uniform(0.75, 1.25)  # noqa: S311
                    for participant in list(self.participants.values()):
                        participant.tick(now)
            except Exception:
                self._log.exception("room tick failed")
