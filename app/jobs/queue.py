"""The job queue as the rest of the app sees it, whichever backend carries the jobs."""

from __future__ import annotations

from typing import Protocol

from app.jobs.store import JobStore
from courses.models.recordings import MediaJob


class JobQueue(Protocol):
    store: JobStore
    """The job rows, for pages and the API to read."""

    async def enqueue(self, kind: str, *, recording_id: int | None = None) -> MediaJob:
        """Queue a job of ``kind`` (UnknownJobKind when no handler runs it); its row."""
        ...

    async def cancel(self, job_id: int) -> MediaJob:
        """A waiting job is cancelled at once; a running one has its handler's task cancelled
        (its child processes die with it) and ends CANCELLED. JobNotFound, JobNotCancellable
        when it already finished."""
        ...

    async def retry(self, job_id: int) -> MediaJob:
        """A failed or cancelled job runs again, attempts reset and error cleared;
        JobNotRetryable otherwise."""
        ...

    async def start(self) -> None:
        """Begin running jobs (in-process) or talking to the queue (Redis)."""
        ...

    async def close(self) -> None:
        """Stop: an in-process job that is interrupted runs again at the next start."""
        ...
