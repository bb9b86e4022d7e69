"""A recording's life from the live room's side: started, who was there, stopped, composed.

The live server creates the row before it writes a byte, so that every folder of raw tracks has
a row that names it; a server that dies mid-recording leaves the row in ``recording``, and
``orphans`` finds it for the worker to compose what was saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.clock import Clock
from courses.models import Activity, Recording, RecordingParticipant, RecordingState
from courses.recordings import RecordingNotFound


@dataclass(frozen=True)
class ComposedOutputs:
    """What a finished compose job reports back."""

    output_path: str
    duration_seconds: float
    chapters: list[dict[str, object]]


def raw_path_for(recording_id: int) -> str:
    """Relative to the media root."""
    return f"recordings/{recording_id}/raw"


def output_path_for(recording_id: int, job_id: int) -> str:
    """A fresh folder per job, so a retry never mixes with a failed attempt's files."""
    return f"recordings/{recording_id}/out-{job_id}"


class RecordingLifecycle:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def get(self, recording_id: int) -> Recording:
        recording = await self.session.get(Recording, recording_id)
        if recording is None:
            raise RecordingNotFound(f"Recording {recording_id} does not exist.")
        return recording

    async def begin(
        self,
        *,
        room_id: str,
        title: str,
        started_by_id: int | None,
        activity_id: int | None,
        layout: str,
    ) -> Recording:
        """A row in state ``recording`` with its raw folder named; flushed, so it has an id."""
        now = self.clock.now()
        course_id = None
        if activity_id is not None:
            activity = await self.session.get(Activity, activity_id)
            if activity is None:
                activity_id = None
            else:
                course_id = activity.course_id
        recording = Recording(
            room_id=room_id,
            activity_id=activity_id,
            course_id=course_id,
            started_by_id=started_by_id,
            title=title[:200] or "Recording",
            state=RecordingState.RECORDING,
            layout=layout,
            raw_path="",
            started_at=now,
            created_at=now,
            updated_at=now,
        )
        self.session.add(recording)
        await self.session.flush()
        assert recording.id is not None
        recording.raw_path = raw_path_for(recording.id)
        await self.session.flush()
        return recording

    async def started(self, recording_id: int, at: datetime) -> None:
        recording = await self.get(recording_id)
        recording.started_at = at
        await self.session.flush()

    async def add_participant(self, recording_id: int, user_id: int) -> None:
        if await self.session.get(RecordingParticipant, (recording_id, user_id)) is None:
            self.session.add(RecordingParticipant(recording_id=recording_id, user_id=user_id))
            await self.session.flush()

    async def stopped(self, recording_id: int, *, at: datetime, error: str = "") -> Recording:
        """The live server stopped writing (or died): the row waits for composition."""
        recording = await self.get(recording_id)
        if recording.state == RecordingState.RECORDING:
            recording.state = RecordingState.PROCESSING
            recording.stopped_at = at
            recording.error = error
            recording.updated_at = self.clock.now()
            await self.session.flush()
        return recording

    async def recording_now(self) -> list[Recording]:
        result = await self.session.exec(
            select(Recording).where(Recording.state == RecordingState.RECORDING)
        )
        return list(result.all())

    async def composing(self, recording_id: int) -> Recording:
        """A ready recording composed again (another layout) stays ready, its current outputs
        served, until the new ones are verified."""
        recording = await self.get(recording_id)
        if recording.state != RecordingState.READY:
            recording.state = RecordingState.PROCESSING
        recording.error = ""
        recording.updated_at = self.clock.now()
        await self.session.flush()
        return recording

    async def composed(self, recording_id: int, outputs: ComposedOutputs) -> Recording:
        recording = await self.get(recording_id)
        now = self.clock.now()
        recording.state = RecordingState.READY
        recording.output_path = outputs.output_path
        recording.duration_seconds = round(outputs.duration_seconds, 3)
        if recording.chapters_json in ("", "[]"):
            recording.chapters_json = json.dumps(outputs.chapters)
        recording.error = ""
        recording.verified_at = now
        recording.updated_at = now
        await self.session.flush()
        return recording

    async def failed(self, recording_id: int, error: str) -> Recording:
        """A failed composition; a ready recording keeps its verified outputs and stays ready
        (the error is kept for its staff to read)."""
        recording = await self.get(recording_id)
        if recording.state != RecordingState.READY:
            recording.state = RecordingState.FAILED
        recording.error = error
        recording.updated_at = self.clock.now()
        await self.session.flush()
        return recording

    async def raw_removed(self, recording_id: int) -> None:
        recording = await self.get(recording_id)
        recording.raw_removed_at = self.clock.now()
        recording.updated_at = recording.raw_removed_at
        await self.session.flush()

    async def raw_kept(self, *, verified_before: datetime) -> list[Recording]:
        """Ready recordings verified before the cut-off whose raw tracks are still on disk."""
        result = await self.session.exec(
            select(Recording)
            .where(Recording.state == RecordingState.READY)
            .where(col(Recording.raw_removed_at).is_(None))
            .where(col(Recording.verified_at) <= verified_before)
        )
        return list(result.all())
