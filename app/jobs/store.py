"""The ``media_jobs`` rows: what people see of each job, kept in step by both backends.

Every change is one conditional UPDATE (compare-and-set on the state, and on the queue key
where Redis carries the job), so a late or duplicate message from a worker never moves a row
backwards: a cancelled job stays cancelled, a retried job is not finished by its old run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select, update

from app.db import Database
from app.jobs.errors import JobNotCancellable, JobNotFound, JobNotRetryable
from courses.clock import Clock
from courses.models.recordings import JobState, MediaJob

UNFINISHED = (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING)
FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
WAITING = (JobState.QUEUED, JobState.RETRYING)
RETRYABLE = (JobState.FAILED, JobState.CANCELLED)
RECENT_LIMIT = 100


def _states(states: Iterable[JobState]) -> list[str]:
    return [s.value for s in states]


class JobStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------
    async def find(self, job_id: int) -> MediaJob | None:
        async with self.db.session() as session:
            return await session.get(MediaJob, job_id, populate_existing=True)

    async def get(self, job_id: int) -> MediaJob:
        job = await self.find(job_id)
        if job is None:
            raise JobNotFound(f"There is no media job with id {job_id}.")
        return job

    async def recent(self, state: str = "", limit: int = RECENT_LIMIT) -> list[MediaJob]:
        """The newest jobs first, optionally only those in ``state``."""
        stmt = select(MediaJob).order_by(col(MediaJob.id).desc()).limit(limit)
        if state:
            stmt = stmt.where(col(MediaJob.state) == state)
        async with self.db.session() as session:
            return list((await session.exec(stmt)).all())

    async def unfinished(self) -> list[MediaJob]:
        stmt = (select(MediaJob).where(col(MediaJob.state).in_(_states(UNFINISHED)))
                .order_by(col(MediaJob.id)))
        async with self.db.session() as session:
            return list((await session.exec(stmt)).all())

    async def next_due(self) -> datetime | None:
        """When the earliest job waiting out a retry delay becomes due."""
        stmt = select(func.min(MediaJob.next_attempt_at)).where(
            col(MediaJob.state) == JobState.RETRYING, col(MediaJob.cancel_requested).is_(False)
        )
        async with self.db.session() as session:
            due: datetime | None = (await session.exec(stmt)).one()
        return due

    # -- changing ----------------------------------------------------------------------------
    async def _set(self, job_id: int, where: Iterable[ColumnElement[bool]],
                   values: dict[str, Any]) -> MediaJob | None:
        """Apply ``values`` if the row still matches ``where``; the row after, or None."""
        stmt = (update(MediaJob).where(col(MediaJob.id) == job_id, *where)
                .values(**values, updated_at=self.clock.now()))
        async with self.db.session() as session:
            result = await session.exec(stmt)
            if result.rowcount != 1:
                return None
            return await session.get(MediaJob, job_id, populate_existing=True)

    async def create(self, kind: str, recording_id: int | None, max_attempts: int, *,
                     queue_key: str = "") -> MediaJob:
        now = self.clock.now()
        job = MediaJob(kind=kind, recording_id=recording_id, state=JobState.QUEUED,
                       max_attempts=max_attempts, queue_key=queue_key, created_at=now,
                       updated_at=now)
        async with self.db.session() as session:
            session.add(job)
            await session.flush()
            await session.refresh(job)
        return job

    async def assign_queue_key(self, job_id: int, key: str) -> MediaJob | None:
        """Give an unfinished row that has none (queued in-process) a key in the queue."""
        return await self._set(job_id, [*self._mine(None), col(MediaJob.queue_key) == ""],
                               {"queue_key": key})

    async def claim_next(self, worker: str) -> MediaJob | None:
        """Take the oldest job that is due (in-process runner): it becomes RUNNING with one
        more attempt. None when nothing is due."""
        now = self.clock.now()
        due = (col(MediaJob.state) == JobState.QUEUED) | (
            (col(MediaJob.state) == JobState.RETRYING) & (col(MediaJob.next_attempt_at) <= now)
        )
        stmt = (select(MediaJob.id, MediaJob.state)
                .where(due, col(MediaJob.cancel_requested).is_(False))
                .order_by(col(MediaJob.id)).limit(5))
        async with self.db.session() as session:
            candidates = list((await session.exec(stmt)).all())
        for job_id, state in candidates:
            assert job_id is not None
            claimed = await self._set(
                job_id,
                [col(MediaJob.state) == state, col(MediaJob.cancel_requested).is_(False)],
                {"state": JobState.RUNNING, "attempts": MediaJob.attempts + 1, "worker": worker,
                 "started_at": now, "next_attempt_at": None, "progress": 0.0, "stage": ""},
            )
            if claimed is not None:
                return claimed
        return None

    async def begin_attempt(self, job_id: int, *, queue_key: str, attempt: int,
                            worker: str) -> MediaJob | None:
        """A worker starts attempt ``attempt`` of the queue job ``queue_key``: RUNNING, unless
        the row finished, was asked to cancel, or now belongs to another queue job."""
        return await self._set(
            job_id,
            [col(MediaJob.state).in_(_states(UNFINISHED)), col(MediaJob.queue_key) == queue_key,
             col(MediaJob.cancel_requested).is_(False)],
            {"state": JobState.RUNNING, "attempts": attempt, "worker": worker,
             "started_at": self.clock.now(), "next_attempt_at": None, "progress": 0.0,
             "stage": ""},
        )

    async def report_progress(self, job_id: int, stage: str, percent: float) -> None:
        await self._set(job_id, [col(MediaJob.state) == JobState.RUNNING],
                        {"stage": stage, "progress": percent})

    def _mine(self, queue_key: str | None) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [col(MediaJob.state).in_(_states(UNFINISHED))]
        if queue_key is not None:
            where.append(col(MediaJob.queue_key) == queue_key)
        return where

    async def succeed(self, job_id: int, *, queue_key: str | None = None) -> MediaJob | None:
        return await self._set(job_id, self._mine(queue_key), {
            "state": JobState.SUCCEEDED, "progress": 100.0, "error": "",
            "finished_at": self.clock.now(), "next_attempt_at": None,
        })

    async def retry_later(self, job_id: int, error: str, at: datetime | None, *,
                          queue_key: str | None = None) -> MediaJob | None:
        return await self._set(job_id, self._mine(queue_key), {
            "state": JobState.RETRYING, "error": error, "next_attempt_at": at,
        })

    async def fail(self, job_id: int, error: str, *,
                   queue_key: str | None = None) -> MediaJob | None:
        return await self._set(job_id, self._mine(queue_key), {
            "state": JobState.FAILED, "error": error, "finished_at": self.clock.now(),
            "next_attempt_at": None,
        })

    async def mark_cancelled(self, job_id: int) -> MediaJob | None:
        return await self._set(job_id, self._mine(None), {
            "state": JobState.CANCELLED, "cancel_requested": True,
            "finished_at": self.clock.now(), "next_attempt_at": None,
        })

    async def requeue(self, job_id: int, note: str, *, uncount: bool,
                      queue_key: str | None = None) -> MediaJob | None:
        """A running attempt was interrupted by its process stopping, not by the job: back to
        QUEUED, the attempt not counted when ``uncount``."""
        values: dict[str, Any] = {"state": JobState.QUEUED, "stage": note[:64],
                                  "next_attempt_at": None}
        if uncount:
            values["attempts"] = MediaJob.attempts - 1  # RUNNING rows have attempts >= 1
        return await self._set(
            job_id, [*self._mine(queue_key), col(MediaJob.state) == JobState.RUNNING], values
        )

    async def recover_interrupted(self) -> list[MediaJob]:
        """Rows a previous process left unfinished (in-process runner, at start): a cancel it
        was asked for is done; a RUNNING attempt it was killed in counts, and the job runs
        again while attempts are left. The rows changed."""
        stmt = select(MediaJob).where(col(MediaJob.state).in_(_states(UNFINISHED)))
        async with self.db.session() as session:
            stale = list((await session.exec(stmt)).all())
        changed: list[MediaJob] = []
        for job in stale:
            assert job.id is not None
            row: MediaJob | None = None
            if job.cancel_requested:
                row = await self.mark_cancelled(job.id)
            elif job.state != JobState.RUNNING:
                continue
            elif job.attempts >= job.max_attempts:
                row = await self.fail(job.id, (
                    f"The server stopped during attempt {job.attempts} of {job.max_attempts}, "
                    "the last one. Retry the job to run it again."
                ))
            else:
                row = await self._set(job.id, [col(MediaJob.state) == JobState.RUNNING], {
                    "state": JobState.QUEUED, "stage": "", "next_attempt_at": None,
                })
            if row is not None:
                changed.append(row)
        return changed

    async def request_cancel(self, job_id: int) -> MediaJob:
        """Flag the job for cancellation; JobNotCancellable when it already finished."""
        job = await self._set(job_id, self._mine(None), {"cancel_requested": True})
        if job is None:
            current = await self.get(job_id)
            raise JobNotCancellable(
                f"Job {job_id} already {current.state}: there is nothing to cancel."
            )
        return job

    async def cancel_if_waiting(self, job_id: int) -> MediaJob | None:
        """Cancel a job that is not running; None when it is running (or finished)."""
        return await self._set(job_id, [col(MediaJob.state).in_(_states(WAITING))], {
            "state": JobState.CANCELLED, "cancel_requested": True,
            "finished_at": self.clock.now(), "next_attempt_at": None,
        })

    async def reset_for_retry(self, job_id: int, queue_key: str) -> MediaJob:
        """A failed or cancelled job back to QUEUED with its attempts reset and error cleared."""
        job = await self._set(job_id, [col(MediaJob.state).in_(_states(RETRYABLE))], {
            "state": JobState.QUEUED, "attempts": 0, "error": "", "progress": 0.0, "stage": "",
            "cancel_requested": False, "queue_key": queue_key, "worker": "",
            "started_at": None, "finished_at": None, "next_attempt_at": None,
        })
        if job is None:
            current = await self.get(job_id)
            raise JobNotRetryable(
                f"Job {job_id} is {current.state}: only a failed or cancelled job can be "
                "run again."
            )
        return job
