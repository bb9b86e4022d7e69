"""Jobs over Redis with SAQ: the web process's side (enqueue, cancel, retry).

SAQ (asyncio, Redis, MIT) carries each job to a ``rounds worker`` process on any machine,
retries it with exponential backoff, and hands a job whose worker went silent (no heartbeat)
to another worker. The ``media_jobs`` row stays the record people see; each row names its
SAQ job by ``queue_key``, a fresh key for each run, so an old run can never touch a new one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from saq.job import TERMINAL_STATUSES, Job, Status
from saq.queue.redis import RedisQueue

from app.jobs.config import JobConfig
from app.jobs.context import JobHandler
from app.jobs.errors import UnknownJobKind
from app.jobs.store import UNFINISHED, JobStore
from courses.models.recordings import MediaJob

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)

SAQ_FUNCTION = "media_job"
CANCEL_MESSAGE = "cancelled by an administrator"
# SAQ stops an attempt at its own timeout only as a last resort: the worker's is shorter.
TIMEOUT_MARGIN_SECONDS = 120
MAX_RETRY_DELAY_SECONDS = 3600.0
# How long SAQ keeps a finished job's record in Redis.
FINISHED_TTL_SECONDS = 24 * 3600
# How long cancel() waits for the worker to stop a running handler.
CANCEL_WAIT_SECONDS = 15.0

Swept = Callable[[Job], Awaitable[None]]


def new_queue_key() -> str:
    return f"media-{uuid.uuid4().hex}"


def saq_job(row: MediaJob, config: JobConfig) -> Job:
    """The SAQ job that runs ``row`` once, with SAQ's retries and backoff."""
    return Job(
        function=SAQ_FUNCTION,
        kwargs={"job_id": row.id},
        key=row.queue_key,
        timeout=int(config.timeout) + TIMEOUT_MARGIN_SECONDS,
        heartbeat=config.heartbeat,
        retries=row.max_attempts,
        retry_delay=config.retry_delay,
        retry_backoff=MAX_RETRY_DELAY_SECONDS,
        ttl=FINISHED_TTL_SECONDS,
    )


class MediaQueue(RedisQueue):
    """SAQ's Redis queue, telling the rows when its sweep takes a job from a silent worker."""

    def __init__(self, redis: Redis, name: str, *, on_swept: Swept | None = None) -> None:
        super().__init__(redis, name=name)
        self.on_swept = on_swept

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        swept = await super().sweep(lock, abort)
        if self.on_swept is not None:
            for job_id in swept:
                job = await self.job(self.job_key_from_id(job_id))
                if job is None:
                    continue
                try:
                    await self.on_swept(job)
                except Exception as exc:
                    log.error("job.sweep_not_recorded", queue_key=job.key, error=repr(exc))
        return swept

    async def retry_at(self, job: Job) -> datetime | None:
        """When SAQ will run a retried job again (None: as soon as a worker is free)."""
        score = await self.redis.zscore(self.namespace("incomplete"), job.id)
        if not score:
            return None
        return datetime.fromtimestamp(float(score), UTC)


def job_kwarg(job: Job) -> int | None:
    """The ``media_jobs`` id a SAQ job runs, if it is one of ours."""
    value: Any = (job.kwargs or {}).get("job_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class SaqJobQueue:
    """The JobQueue of a web process with ``REDIS_URL``: jobs run in ``rounds worker``."""

    def __init__(self, services: Services, store: JobStore, handlers: Mapping[str, JobHandler],
                 config: JobConfig, redis_url: str) -> None:
        self.services = services
        self.store = store
        self.handlers = dict(handlers)
        self.config = config
        self.queue = MediaQueue(Redis.from_url(redis_url), config.queue_name)

    async def enqueue(self, kind: str, *, recording_id: int | None = None) -> MediaJob:
        if kind not in self.handlers:
            raise UnknownJobKind(kind, list(self.handlers))
        row = await self.store.create(kind, recording_id, self.config.max_attempts,
                                      queue_key=new_queue_key())
        await self._send(row)
        return row

    async def _send(self, row: MediaJob) -> None:
        """Hand ``row`` to SAQ. If Redis is unreachable the row stays queued and a worker's
        reconciliation sends it when Redis is back."""
        try:
            await self.queue.enqueue(saq_job(row, self.config))
        except (RedisError, OSError) as exc:
            log.error("job.enqueue_failed", job_id=row.id, kind=row.kind,
                      recording_id=row.recording_id, state=row.state, error=repr(exc))
            return
        log.info("job.enqueued", job_id=row.id, kind=row.kind, recording_id=row.recording_id,
                 state=row.state, attempt=row.attempts, queue_key=row.queue_key, backend="saq")

    async def cancel(self, job_id: int) -> MediaJob:
        row = await self.store.request_cancel(job_id)
        await self._abort(row)
        waiting = await self.store.cancel_if_waiting(job_id)
        if waiting is not None:
            self._log_cancelled(waiting, confirmed=True)
            return waiting
        # Running in a worker: SAQ's abort reaches it within a second or so (the worker
        # also sees the row's flag); it cancels the handler and marks the row.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CANCEL_WAIT_SECONDS
        while loop.time() < deadline:
            row = await self.store.get(job_id)
            if row.state not in UNFINISHED:
                self._log_cancelled(row, confirmed=True)
                return row
            await asyncio.sleep(0.2)
        row = await self.store.mark_cancelled(job_id) or await self.store.get(job_id)
        self._log_cancelled(row, confirmed=False)
        return row

    async def _abort(self, row: MediaJob) -> None:
        if not row.queue_key:
            return
        try:
            job = await self.queue.job(row.queue_key)
            if job is None or job.status in TERMINAL_STATUSES:
                return
            was_waiting = job.status in (Status.NEW, Status.QUEUED)
            await self.queue.abort(job, CANCEL_MESSAGE)
            if was_waiting:
                # A job waiting out a retry delay is not in SAQ's queued list, so abort()
                # leaves it ABORTING forever: finish it (it expires with the TTL).
                await self.queue.finish(job, Status.ABORTED, error=CANCEL_MESSAGE)
        except (RedisError, OSError) as exc:
            # The row's flag still stops it: a worker checks it before and while it runs.
            log.error("job.abort_failed", job_id=row.id, queue_key=row.queue_key,
                      error=repr(exc))

    def _log_cancelled(self, row: MediaJob, *, confirmed: bool) -> None:
        log.info("job.cancelled", job_id=row.id, kind=row.kind, recording_id=row.recording_id,
                 attempt=row.attempts, state=row.state, backend="saq", confirmed=confirmed)

    async def retry(self, job_id: int) -> MediaJob:
        row = await self.store.reset_for_retry(job_id, queue_key=new_queue_key())
        log.info("job.retry_requested", job_id=row.id, kind=row.kind,
                 recording_id=row.recording_id, attempt=row.attempts, state=row.state,
                 backend="saq")
        await self._send(row)
        return row

    async def start(self) -> None:
        await self.queue.connect()
        log.info("jobs.started", backend="saq", queue=self.config.queue_name,
                 kinds=sorted(self.handlers))

    async def close(self) -> None:
        try:
            await self.queue.disconnect()
        except (RedisError, OSError) as exc:
            log.warning("jobs.disconnect_failed", error=repr(exc))
