"""Recording a live room at the RTP level: one more subscriber of the forwarding path.

A ``RoomRecording`` hangs a ``TrackWriter`` on every published track's forwarder (as a tap:
packets are copied into a buffer as they are forwarded, never decoded), logs what happens in
the room to ``events.jsonl``, and runs a timer on the event loop that hands the buffers to the
kernel every ``FLUSH_INTERVAL`` (what a kill -9 can lose) and fsyncs the files every
``SYNC_INTERVAL`` in a thread. Video gets a keyframe request (past the throttle) when it starts
being recorded, and again every ``KEYFRAME_RETRY`` until one arrives.

A write error (disk full) stops the recording with ``reason="failed"``; the room and its
forwarding carry on. The room owns the recording: ``Room.start_recording`` and
``Room.stop_recording``; closing the room stops it.

Every time in the files (packet arrivals, sender reports, events, manifest) is Unix seconds
derived from one monotonic-to-wall-clock offset taken at the start, so all of them are on one
clock even if the system clock is stepped meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from media.events import (
    ActiveSpeakerChanged,
    MediaEvent,
    MuteChanged,
    ParticipantJoined,
    ParticipantLeft,
    RecordingStopReason,
    TrackPublished,
    TrackUnpublished,
)

from .format import EVENTS, MANIFEST, TRACKS, TrackHeader, write_json_atomically
from .writer import AppendOnlyFile, EventWriter, TrackWriter

if TYPE_CHECKING:
    from media.sfu.participant import Participant
    from media.sfu.publisher import PublishedTrack
    from media.sfu.room import Room

FLUSH_INTERVAL = 0.5
SYNC_INTERVAL = 3.0
KEYFRAME_RETRY = 1.0
LAYOUTS = ("presenter", "speaker", "grid")
"""What the composer can lay a recording out as; kept in the manifest."""


class RecordingError(RuntimeError):
    """A recording cannot start: the room already records, or the directory is unusable."""


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    recording_id: str
    directory: Path
    started_at: float
    """Unix seconds."""
    stopped_at: float
    tracks: int
    """Track files written."""
    packets: int
    bytes: int
    """Bytes of track files on disk."""
    reason: RecordingStopReason
    error: str
    """Empty unless the recording failed (then ``reason`` is "failed")."""


class _Recorded:
    """A track being recorded: its writer, and when a keyframe was last asked for."""

    __slots__ = ("asked_at", "participant_id", "track", "writer")

    def __init__(self, track: PublishedTrack, writer: TrackWriter) -> None:
        self.track = track
        self.writer = writer
        self.participant_id = track.participant_id
        self.asked_at = -KEYFRAME_RETRY


class RoomRecording:
    """One recording of one room, from ``start`` until ``stop`` (or a write error)."""

    def __init__(
        self,
        room: Room,
        directory: Path,
        recording_id: str,
        *,
        layout: str = "presenter",
        on_stopped: Callable[[RoomRecording, RecordingSummary], None] | None = None,
    ) -> None:
        if not recording_id:
            raise RecordingError("a recording needs an id")
        if layout not in LAYOUTS:
            raise RecordingError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
        self.room = room
        self.directory = Path(directory)
        self.recording_id = recording_id
        self.layout = layout
        self._on_stopped = on_stopped
        self._log = structlog.get_logger(__name__).bind(
            room_id=room.room_id, recording_id=recording_id
        )
        self._wall_offset = time.time() - time.monotonic()
        self.started_at = 0.0
        self._recorded: dict[str, _Recorded] = {}
        """By track id: what is being recorded now."""
        self._done: list[TrackWriter] = []
        """Writers of tracks no longer recorded (unpublished), for the summary."""
        self._closing: set[asyncio.Future[None]] = set()
        self._syncing: asyncio.Future[None] | None = None
        self._events: EventWriter | None = None
        self._logging_start = False
        """While the room's state at the start is logged: those events carry the start time."""
        self._timer: asyncio.Task[None] | None = None
        self._stop_task: asyncio.Task[RecordingSummary] | None = None
        self.summary: RecordingSummary | None = None

    # -- public API ------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Recording (started, not stopping)."""
        return self._timer is not None and self._stop_task is None

    @property
    def writers(self) -> dict[str, TrackWriter]:
        """The tracks being recorded now, by track id."""
        return {track_id: r.writer for track_id, r in self._recorded.items()}

    def now(self) -> float:
        """Unix seconds on the recording's clock."""
        return time.monotonic() + self._wall_offset

    def start(self) -> None:
        """Create the directory and files, attach to every published track, ask for
        keyframes, log who is there. Runs on the event loop (it starts the timer there)."""
        if self._timer is not None:
            raise RecordingError("this recording was already started")
        loop = asyncio.get_running_loop()
        directory = self.directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            if (directory / MANIFEST).exists() or (directory / EVENTS).exists():
                raise RecordingError(f"{directory} already holds a recording; use a new directory")
            (directory / TRACKS).mkdir(exist_ok=True)
            self.started_at = self.now()
            write_json_atomically(directory / MANIFEST, self._manifest())
            self._events = EventWriter(directory / EVENTS)
        except OSError as exc:
            raise RecordingError(f"cannot record into {directory}: {exc}") from exc
        self._logging_start = True
        self._event("recording_started", recording_id=self.recording_id)
        room = self.room
        participants = list(room.participants.values())
        for participant in participants:
            if room.has_connected(participant.participant_id):
                self._joined(participant)
        for participant in participants:
            for track in list(participant.publisher.tracks.values()):
                self._attach(participant, track)
            for kind in ("audio", "video"):
                if participant.is_muted(kind):
                    self._event("mute_changed", participant_id=participant.participant_id,
                                kind=kind, muted=True)
        self._event("active_speaker", participant_id=room.active_speaker)
        self._logging_start = False
        self._timer = loop.create_task(self._run())
        error = self._flush()  # the start is on disk at once
        if error:
            self._fail(error)
        self._log.info("recording.started", directory=str(directory), layout=self.layout,
                       tracks=len(self._recorded))

    async def stop(
        self, reason: RecordingStopReason = "stopped", error: str = ""
    ) -> RecordingSummary:
        """Detach, flush, fsync and close everything, rewrite the manifest with
        ``stopped_at``. Idempotent: a second call gets the first one's summary."""
        if self._stop_task is None:
            self._stop_task = asyncio.get_running_loop().create_task(self._stop(reason, error))
        return await asyncio.shield(self._stop_task)

    def on_event(self, event: MediaEvent) -> None:
        """What the room emits, as it emits it: logged, and tracks attached or detached."""
        if not self.active:
            return
        room = self.room
        if isinstance(event, ParticipantJoined):
            participant = room.participants.get(event.participant_id)
            if participant is not None:
                self._joined(participant)
        elif isinstance(event, ParticipantLeft):
            self._event("participant_left", participant_id=event.participant_id,
                        reason=event.reason)
        elif isinstance(event, TrackPublished):
            participant = room.participants.get(event.participant_id)
            track = None
            if participant is not None:
                track = next((t for t in participant.publisher.tracks.values()
                              if t.track_id == event.track_id), None)
            if participant is not None and track is not None:
                self._attach(participant, track)
        elif isinstance(event, TrackUnpublished):
            self._detach(event.track_id)
            self._event("track_unpublished", participant_id=event.participant_id,
                        track_id=event.track_id, kind=event.kind, source=event.source)
        elif isinstance(event, MuteChanged):
            self._event("mute_changed", participant_id=event.participant_id, kind=event.kind,
                        muted=event.muted)
            if event.kind == "video" and not event.muted:
                for recorded in self._recorded.values():
                    track = recorded.track
                    if (recorded.participant_id == event.participant_id
                            and track.kind == "video" and track.source != "screen"):
                        recorded.writer.expect_keyframe()
                        self._ask_keyframe(recorded, time.monotonic(), force=True)
        elif isinstance(event, ActiveSpeakerChanged):
            self._event("active_speaker", participant_id=event.participant_id)

    # -- attaching -------------------------------------------------------------------------
    def _joined(self, participant: Participant) -> None:
        info = participant.info
        self._event("participant_joined", participant_id=participant.participant_id,
                    user_id=info.user_id, display_name=info.display_name, role=info.role)

    def _attach(self, participant: Participant, track: PublishedTrack) -> None:
        if track.track_id in self._recorded:
            return
        codec = track.codec
        header = TrackHeader(
            track_id=track.track_id,
            participant_id=participant.participant_id,
            kind=track.kind,
            source=track.source,
            mime_type=codec.mimeType,
            clock_rate=track.clock_rate,
            payload_type=track.payload_type,
            channels=codec.channels or 1,
            started_at=self.now(),
            display_name=participant.info.display_name,
            user_id=participant.info.user_id,
        )
        path = self.directory / TRACKS / f"{track.track_id}.rtp"
        try:
            writer = TrackWriter(
                path,
                header,
                wall_offset=self._wall_offset,
                keyframe_test=track.forwarder.keyframe_test if track.kind == "video" else None,
            )
        except OSError as exc:
            self._fail(f"cannot create {path.name}: {exc}")
            return
        recorded = _Recorded(track, writer)
        self._recorded[track.track_id] = recorded
        track.forwarder.taps.append(writer)
        self._event("track_published", participant_id=participant.participant_id,
                    track_id=track.track_id, kind=track.kind, source=track.source)
        if track.kind == "video":
            self._ask_keyframe(recorded, time.monotonic(), force=True)
        self._log.info("recording.track_attached", participant_id=participant.participant_id,
                       track_id=track.track_id, kind=track.kind, source=track.source)

    def _detach(self, track_id: str) -> None:
        recorded = self._recorded.pop(track_id, None)
        if recorded is None:
            return
        writer = recorded.writer
        taps = recorded.track.forwarder.taps
        if writer in taps:
            taps.remove(writer)
        self._done.append(writer)
        if not writer.flush():
            self._fail(self._write_error(writer))
            return
        closing = asyncio.ensure_future(asyncio.to_thread(writer.close))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        self._log.info("recording.track_detached", track_id=track_id, packets=writer.packets)

    def _ask_keyframe(self, recorded: _Recorded, now: float, force: bool = False) -> None:
        """Ask the publisher for a keyframe; ``force`` past the SFU's throttle (recording
        starts), otherwise through it (the retries)."""
        recorded.asked_at = now
        recorded.track.request_keyframe(force=force)

    def _detach_all(self) -> list[TrackWriter]:
        writers = []
        for recorded in self._recorded.values():
            taps = recorded.track.forwarder.taps
            if recorded.writer in taps:
                taps.remove(recorded.writer)
            writers.append(recorded.writer)
        self._recorded.clear()
        return writers

    # -- the clock -------------------------------------------------------------------------
    def _event(self, type_: str, at: float | None = None, **fields: Any) -> None:
        if self._events is not None:
            if at is None:
                at = self.started_at if self._logging_start else self.now()
            self._events.append(at, type_, **fields)

    def _flush(self) -> str:
        """Hand every buffer to the kernel; the first write error, or ''."""
        for recorded in self._recorded.values():
            writer = recorded.writer
            if not writer.flush() or writer.error is not None:
                return self._write_error(writer)
        events = self._events
        if events is not None and (not events.flush() or events.error is not None):
            return self._write_error(events)
        return ""

    def _write_error(self, file: AppendOnlyFile) -> str:
        name = file.path.relative_to(self.directory) if file.path.is_relative_to(
            self.directory) else file.path
        return f"writing {name} failed: {file.error}"

    async def _run(self) -> None:
        next_sync = time.monotonic() + SYNC_INTERVAL
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            try:
                error = self._flush()
                if error:
                    self._fail(error)
                    return
                now = time.monotonic()
                for recorded in self._recorded.values():
                    waiting = recorded.writer.waiting_keyframe and not recorded.track.muted
                    if waiting and now - recorded.asked_at >= KEYFRAME_RETRY:
                        self._ask_keyframe(recorded, now)
                if now >= next_sync and (self._syncing is None or self._syncing.done()):
                    next_sync = now + SYNC_INTERVAL
                    files: list[AppendOnlyFile] = [r.writer for r in self._recorded.values()]
                    if self._events is not None:
                        files.append(self._events)
                    self._syncing = asyncio.ensure_future(asyncio.to_thread(_sync_all, files))
            except Exception as exc:
                self._log.exception("recording.timer_failed")
                self._fail(f"the recording timer failed: {exc!r}")
                return

    def _fail(self, error: str) -> None:
        if self._stop_task is not None:
            return
        self._log.error("recording.failed", error=error)
        self._stop_task = asyncio.get_running_loop().create_task(self._stop("failed", error))

    async def _stop(self, reason: RecordingStopReason, error: str) -> RecordingSummary:
        stopped_at = self.now()
        writers = self._detach_all()  # before any await: no packet arrives after stopped_at
        self._event("recording_stopped", at=stopped_at, reason=reason)
        timer = self._timer
        if timer is not None and not timer.done():
            timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
        flush_error = self._flush_writers(writers)
        if flush_error and not error:
            reason, error = "failed", flush_error
        pending = list(self._closing)
        if self._syncing is not None:
            pending.append(self._syncing)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        files: list[AppendOnlyFile] = list(writers)
        if self._events is not None:
            files.append(self._events)
        await asyncio.to_thread(_close_all, files)
        all_writers = self._done + writers
        if not error:
            broken = next((w for w in [*all_writers, *files] if w.error is not None), None)
            if broken is not None:
                reason, error = "failed", self._write_error(broken)
        summary = RecordingSummary(
            recording_id=self.recording_id,
            directory=self.directory,
            started_at=self.started_at,
            stopped_at=stopped_at,
            tracks=len(all_writers),
            packets=sum(w.packets for w in all_writers),
            bytes=sum(w.bytes_written for w in all_writers),
            reason=reason,
            error=error,
        )
        manifest = self._manifest(summary, all_writers)
        try:
            await asyncio.to_thread(write_json_atomically, self.directory / MANIFEST, manifest)
        except OSError as exc:
            self._log.error("recording.manifest_failed", error=str(exc))
        self.summary = summary
        log = self._log.error if error else self._log.info
        log("recording.stopped", reason=reason, error=error, tracks=summary.tracks,
            packets=summary.packets, bytes=summary.bytes,
            seconds=round(stopped_at - self.started_at, 3))
        if self._on_stopped is not None:
            self._on_stopped(self, summary)
        return summary

    def _flush_writers(self, writers: list[TrackWriter]) -> str:
        error = ""
        for file in [*writers, *([self._events] if self._events is not None else [])]:
            if not file.flush() and not error:
                error = self._write_error(file)
        return error

    def _manifest(
        self, summary: RecordingSummary | None = None, writers: list[TrackWriter] | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "recording_id": self.recording_id,
            "room_id": self.room.room_id,
            "started_at": self.started_at,
            "layout": self.layout,
        }
        if summary is not None:
            data["stopped_at"] = summary.stopped_at
            data["stop_reason"] = summary.reason
            data["error"] = summary.error
            data["tracks"] = [
                {
                    "track_id": w.header.track_id,
                    "participant_id": w.header.participant_id,
                    "kind": w.header.kind,
                    "source": w.header.source,
                    "file": f"{TRACKS}/{w.path.name}",
                    "packets": w.packets,
                    "bytes": w.bytes_written,
                }
                for w in writers or []
            ]
        return data


def _sync_all(files: list[AppendOnlyFile]) -> None:
    for file in files:
        file.sync()


def _close_all(files: list[AppendOnlyFile]) -> None:
    for file in files:
        file.close()
