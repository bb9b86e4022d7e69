"""Recording the rooms this process hosts: the row first, then the SFU's recorder.

media/ writes raw tracks and emits RecordingStarted/RecordingStopped; this keeps the
``recordings`` rows in step (who was in the room, when it stopped) and queues the compose job
when a recording ends. A process that died mid-recording leaves its row in ``recording``:
``recover_orphans`` (at start and every minute, in every web process) finds rows whose raw
folder has gone quiet and queues them, so what was saved is still composed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from app.settings import Settings
from app.wiring import Services
from courses.live_sessions import activity_id_of
from courses.recording_lifecycle import RecordingLifecycle, raw_path_for
from media import events
from media.sfu import Sfu

log = structlog.get_logger(__name__)

QUIET_SECONDS = 30.0
"""A recording's folder is touched at least every ``TOUCH_SECONDS`` by the process recording
it (besides the recorder's own appends): a folder quiet this long has no writer."""
TOUCH_SECONDS = 10.0
ORPHAN_SWEEP_SECONDS = 60.0

Enqueue = Callable[[int], Awaitable[None]]
"""Queue the compose job of a recording (by id)."""


@dataclass(frozen=True)
class ActiveRecording:
    recording_id: int
    room_id: str
    started_at: datetime
    started_by: int | None


def last_write(directory: Path) -> float | None:
    """The newest modification time of anything in a raw folder (None: nothing there)."""
    newest: float | None = None
    if not directory.exists():
        return None
    for path in (directory, *directory.rglob("*")):
        with contextlib.suppress(OSError):
            mtime = path.stat().st_mtime
            newest = mtime if newest is None else max(newest, mtime)
    return newest


class RecordingControl:
    def __init__(self, services: Services, settings: Settings, sfu: Sfu,
                 enqueue: Enqueue | None = None) -> None:
        self.services = services
        self.settings = settings
        self.sfu = sfu
        self.enqueue = enqueue
        self.media_root = settings.effective_media_root
        self._active: dict[str, ActiveRecording] = {}
        self._sweeper: asyncio.Task[None] | None = None

    def active(self, room_id: str) -> ActiveRecording | None:
        return self._active.get(room_id)

    async def start(self, room_id: str, *, title: str, started_by: int | None) -> str:
        """Start recording a room; '' on success, else a message for the host."""
        if room_id in self._active:
            return ""
        sfu_room = self.sfu.get_room(room_id)
        if sfu_room is None or sfu_room.closed:
            return "The room is not open."
        async with self.services.unit() as unit:
            lifecycle = RecordingLifecycle(unit.session, unit.clock)
            recording = await lifecycle.begin(
                room_id=room_id, title=title, started_by_id=started_by,
                activity_id=activity_id_of(room_id), layout=self.settings.recording_layout,
            )
            recording_id = recording.id
            raw_path = recording.raw_path
            started_at = recording.started_at
        assert recording_id is not None
        directory = self.media_root / raw_path
        active = ActiveRecording(recording_id, room_id, started_at, started_by)
        self._active[room_id] = active
        try:
            recorder = sfu_room.start_recording(directory, str(recording_id),
                                                layout=self.settings.recording_layout)
        except Exception as exc:
            self._active.pop(room_id, None)
            log.exception("recording.start_failed", room_id=room_id, recording_id=recording_id)
            async with self.services.unit() as unit:
                await RecordingLifecycle(unit.session, unit.clock).failed(
                    recording_id, f"The recording could not start: {exc}"
                )
            return f"The recording could not start: {exc}"
        users = {p.info.user_id for p in sfu_room.participants.values()}
        async with self.services.unit() as unit:
            lifecycle = RecordingLifecycle(unit.session, unit.clock)
            # the recorder's own clock, which its files and its stop event use too
            await lifecycle.started(recording_id, datetime.fromtimestamp(recorder.started_at, UTC))
            for user_id in users:
                if isinstance(user_id, int):
                    await lifecycle.add_participant(recording_id, user_id)
        log.info("recording.started", room_id=room_id, recording_id=recording_id,
                 started_by=started_by, directory=str(directory))
        return ""

    async def stop(self, room_id: str) -> None:
        """Stop recording; the RecordingStopped event finishes the row and queues the job."""
        sfu_room = self.sfu.get_room(room_id)
        if sfu_room is not None and sfu_room.recording is not None:
            await sfu_room.stop_recording("stopped")
        elif room_id in self._active:
            # the room went away without its recorder saying so: finish the row here
            active = self._active[room_id]
            await self._finish(active.recording_id, datetime.now(UTC), "")

    async def on_event(self, event: events.MediaEvent) -> None:
        if isinstance(event, events.RecordingStopped):
            active = self._active.get(event.room_id)
            if active is None or str(active.recording_id) != event.recording_id:
                return
            await self._finish(active.recording_id, event.at, event.error)
        elif isinstance(event, events.ParticipantJoined) and isinstance(event.user_id, int):
            active = self._active.get(event.room_id)
            if active is not None:
                async with self.services.unit() as unit:
                    await RecordingLifecycle(unit.session, unit.clock).add_participant(
                        active.recording_id, event.user_id
                    )

    async def _finish(self, recording_id: int, at: datetime, error: str) -> None:
        for room_id, active in list(self._active.items()):
            if active.recording_id == recording_id:
                del self._active[room_id]
        async with self.services.unit() as unit:
            await RecordingLifecycle(unit.session, unit.clock).stopped(
                recording_id, at=at, error=error
            )
        log.info("recording.stopped", recording_id=recording_id, error=error or None)
        await self._queue(recording_id)

    async def _queue(self, recording_id: int) -> None:
        if self.enqueue is None:
            log.warning("recording.no_job_queue", recording_id=recording_id)
            return
        try:
            await self.enqueue(recording_id)
        except Exception:
            # the row stays in processing; the orphan sweep does not touch it, an admin can
            # queue it again from the recordings page
            log.exception("recording.enqueue_failed", recording_id=recording_id)

    async def recover_orphans(self, *, quiet_seconds: float = QUIET_SECONDS) -> list[int]:
        """Rows still ``recording`` whose writer is gone (no process records them and their
        folder has been quiet): stopped at their last write, and queued for composition."""
        mine = {a.recording_id for a in self._active.values()}
        async with self.services.unit() as unit:
            rows = await RecordingLifecycle(unit.session, unit.clock).recording_now()
            candidates = [(r.id, r.raw_path, r.started_at) for r in rows if r.id not in mine]
        recovered: list[int] = []
        now = time.time()
        for recording_id, raw_path, started_at in candidates:
            assert recording_id is not None
            written = await asyncio.to_thread(last_write, self.media_root / raw_path)
            quiet_since = written if written is not None else started_at.timestamp()
            if now - quiet_since < quiet_seconds:
                continue
            at = datetime.fromtimestamp(quiet_since, UTC)
            async with self.services.unit() as unit:
                await RecordingLifecycle(unit.session, unit.clock).stopped(
                    recording_id, at=at,
                    error="" if written is not None else "Nothing was written to disk.",
                )
            log.warning("recording.orphan_recovered", recording_id=recording_id,
                        last_write=at.isoformat())
            await self._queue(recording_id)
            recovered.append(recording_id)
        return recovered

    def touch_active(self) -> None:
        """Mark this process's recordings as alive for the other processes' orphan sweeps
        (a room where nobody publishes writes nothing for a while)."""
        for active in self._active.values():
            folder = self.media_root / raw_path_for(active.recording_id)
            with contextlib.suppress(OSError):
                os.utime(folder)

    def start_sweeping(self, interval: float = ORPHAN_SWEEP_SECONDS) -> None:
        async def sweep() -> None:
            from app.compose_job import sweep_raw

            due = 0.0
            while True:
                try:
                    await asyncio.to_thread(self.touch_active)
                    if time.monotonic() >= due:
                        due = time.monotonic() + interval
                        await self.recover_orphans()
                        await sweep_raw(self.services, self.settings)
                except Exception:
                    log.exception("recording.sweep_failed")
                await asyncio.sleep(min(TOUCH_SECONDS, interval))

        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(sweep())

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
