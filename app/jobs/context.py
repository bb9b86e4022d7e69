"""What a job handler is given and what it may raise: the contract between the queue and the
code that does the work (composing a recording, for one)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)

# Progress reaches the database at most this often, unless the stage changes or it hits 100.
PROGRESS_INTERVAL_SECONDS = 1.0
STAGE_MAX_LENGTH = 64

Report = Callable[[str, float], Awaitable[None]]
"""Persists (stage, percent) for one job: the backend's side of ``JobContext.progress``."""


class JobFailed(Exception):
    """A permanent failure: the job is not tried again. The message is shown to admins as is,
    so say what is wrong and what to do (for FFmpeg, include its error text)."""


class JobContext:
    """Given to a handler: which job this is, the services, and a way to report progress."""

    def __init__(
        self,
        *,
        job_id: int,
        kind: str,
        recording_id: int | None,
        attempt: int,
        services: Services,
        report: Report,
    ) -> None:
        self.job_id = job_id
        self.kind = kind
        self.recording_id = recording_id
        self.attempt = attempt
        """1 for the first try, 2 for the first retry, and so on."""
        self.services = services
        self._report = report
        self._stage = ""
        self._percent = 0.0
        self._reported_at = -math.inf

    @property
    def stage(self) -> str:
        return self._stage

    @property
    def percent(self) -> float:
        return self._percent

    async def progress(self, stage: str, percent: float) -> None:
        """Say how far the job is: ``stage`` (a few words, like "composing") and ``percent``
        of the whole job, clamped to 0..100 (a non-finite value keeps the last one).

        Writes reach the job's row at most about once a second, at once when the stage
        changes or at 100 %; calls in between only remember the value. A failed write is
        logged, never raised: progress must not fail the work it describes.
        """
        stage = stage.strip()[:STAGE_MAX_LENGTH]
        if math.isfinite(percent):
            self._percent = min(100.0, max(0.0, float(percent)))
        now = time.monotonic()
        changed = stage != self._stage
        self._stage = stage
        if not changed and self._percent < 100.0 and (
            now - self._reported_at < PROGRESS_INTERVAL_SECONDS
        ):
            return
        self._reported_at = now
        try:
            # Shielded: a cancellation landing mid-write would leave the database connection
            # half closed; the write finishes on its own and the cancellation still arrives.
            await asyncio.shield(self._report(self._stage, self._percent))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("job.progress_not_saved", job_id=self.job_id, kind=self.kind,
                        recording_id=self.recording_id, attempt=self.attempt, error=repr(exc))


JobHandler = Callable[[JobContext], Awaitable[None]]
"""Does one kind of job. Returns when done; raises JobFailed for a failure that a retry
cannot fix, any other exception for one that it might. Cancellation arrives as
``asyncio.CancelledError``: let it propagate (``app.jobs.processes`` kills child processes)."""
