"""Jobs over Redis with SAQ: the ``rounds worker`` side, which runs the handlers.

A SAQ Worker dequeues each job and calls ``JobWorker.run``, which keeps the ``media_jobs``
row in step: RUNNING with the attempt and this worker's name, progress as the handler
reports it, then SUCCEEDED, CANCELLED, or (after SAQ decided whether to retry) RETRYING or
FAILED. While a handler runs, the job's heartbeat in Redis is renewed; if this process dies,
another worker's sweep finds the silent job and runs it again, and the row says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import structlog
from redis.asyncio import Redis
from saq.job import Job, Status
from saq.types import Context, PartialTimersDict
from saq.utils import now as saq_now
from saq.worker import Worker

from app.jobs.attempt import STOP_WAIT_SECONDS, Attempt, Ending, Outcome, StopReason, error_text
from app.jobs.config import JobConfig
from app.jobs.context import JobContext, JobHandler
from app.jobs.errors import UnknownJobKind
from app.jobs.redis_queue import SAQ_FUNCTION, MediaQueue, job_kwarg, new_queue_key, saq_job
from app.jobs.store import UNFINISHED, JobStore
from courses.models.recordings import MediaJob

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)

# How long SAQ waits for a cancelled handler (and our bookkeeping) before giving up on it.
CANCEL_DEADLINE_SECONDS = 15.0
DEQUEUE_TIMEOUT_SECONDS = 1.0
# A row flagged for cancelling this long without SAQ's abort arriving is stopped anyway.
CANCEL_FALLBACK_SECONDS = 3.0
# A job SAQ finished this long ago whose row is still unfinished is set right by reconcile();
# younger ones are left to the worker that is writing the row.
RECONCILE_GRACE_SECONDS = 60


class AttemptFailed(Exception):
    """An attempt failed; ``error`` is what the row shows (JobFailed's message, FFmpeg's)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class WorkerStopping(Exception):
    """The attempt was interrupted because this worker is stopping: SAQ requeues the job and
    the attempt does not count."""


class _HandingBack(logging.Filter):
    """SAQ logs every exception a job raises as an error with its traceback; a worker
    handing its job back because it is stopping is not one."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.exc_info[1] if record.exc_info else None
        return not isinstance(failure, WorkerStopping)


_saq_log = logging.getLogger("saq")
if not any(isinstance(f, _HandingBack) for f in _saq_log.filters):
    _saq_log.addFilter(_HandingBack())


def _log(event: str, row: MediaJob, **extra: Any) -> None:
    method = log.warning if event in ("job.failed", "job.retrying", "job.swept") else log.info
    method(event, job_id=row.id, kind=row.kind, recording_id=row.recording_id,
           attempt=row.attempts, state=row.state, worker=row.worker or None, backend="saq",
           **{k: v for k, v in extra.items() if v is not None})


class JobWorker:
    def __init__(self, services: Services, handlers: Mapping[str, JobHandler],
                 config: JobConfig, redis_url: str, name: str) -> None:
        self.services = services
        self.store = JobStore(services.db, services.clock)
        self.handlers = dict(handlers)
        self.config = config
        self.name = name
        self.queue = MediaQueue(Redis.from_url(redis_url), config.queue_name,
                                on_swept=self._swept)
        timers: PartialTimersDict = {"sweep": config.heartbeat, "abort": 1, "schedule": 1,
                                     "worker_info": 10}
        self.worker: Worker[Context] = Worker(
            self.queue,
            functions=[(SAQ_FUNCTION, self.run)],
            id=name,
            concurrency=config.concurrency,
            after_process=self._after,
            timers=timers,
            cancellation_hard_deadline_s=CANCEL_DEADLINE_SECONDS,
            # Redis answers a cancelled BLMOVE only when it returns: a short one lets the
            # worker stop within about a second.
            dequeue_timeout=DEQUEUE_TIMEOUT_SECONDS,
        )
        self.worker.SIGNALS = []  # run_worker owns SIGTERM and SIGINT
        self._running: dict[int, Attempt] = {}
        self._aborted: set[int] = set()
        self._in_flight: set[str] = set()
        """Keys of the jobs between SAQ's dequeue and its after-process hook."""
        self._drained = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self.queue.connect()
        await self.reconcile()
        self._task = asyncio.create_task(self.worker.start(), name="saq-worker")
        log.info("jobs.started", backend="saq", queue=self.config.queue_name, worker=self.name,
                 concurrency=self.config.concurrency, kinds=sorted(self.handlers))

    async def stop(self) -> None:
        """Interrupt running handlers (their jobs go back to the queue, the attempt not
        counted), let SAQ requeue them, then stop SAQ's worker and close the connection."""
        self._stopping = True
        for attempt in list(self._running.values()):
            attempt.stop(StopReason.INTERRUPT)
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), STOP_WAIT_SECONDS + 5)
        self.worker.event.set()
        if self._task is not None:
            await self._task
        with contextlib.suppress(Exception):
            await self.queue.disconnect()
        log.info("jobs.stopped", backend="saq", worker=self.name)

    # -- one job -----------------------------------------------------------------------------
    async def run(self, ctx: Context, *, job_id: int) -> None:
        """SAQ's function: run the row's handler once, keeping the row in step.

        The work happens in a task of its own that SAQ cannot cancel: SAQ cancels this one to
        abort the job, and a cancellation landing inside a database call can leave the
        connection half closed. So an abort stops the handler, and the work task, which only
        waits for it, writes the row."""
        job = ctx["job"]
        self._in_flight.add(job.key)
        self._drained.clear()
        work = asyncio.create_task(self._work(job, job_id), name=f"job-{job_id}-work")
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            if not work.done():
                self._aborted.add(job_id)
                attempt = self._running.get(job_id)
                if attempt is not None:
                    attempt.stop(StopReason.CANCEL)
                await asyncio.wait({work}, timeout=STOP_WAIT_SECONDS + 5)
            if work.done():
                self._aborted.discard(job_id)
            raise

    async def _work(self, job: Job, job_id: int) -> None:
        if self._stopping:
            job.attempts -= 1
            raise WorkerStopping(f"worker {self.name} is stopping")
        row = await self.store.begin_attempt(job_id, queue_key=job.key, attempt=job.attempts,
                                             worker=self.name)
        if row is None:
            await self._not_runnable(job_id, job)
            return
        _log("job.started", row)
        handler = self.handlers.get(row.kind)
        if handler is None:
            job.retries = job.attempts  # no retry can help
            raise AttemptFailed(UnknownJobKind(row.kind, list(self.handlers)).errors["kind"])

        async def report(stage: str, percent: float) -> None:
            await self.store.report_progress(job_id, stage, percent)
            await job.update(progress=percent / 100)

        context = JobContext(job_id=job_id, kind=row.kind, recording_id=row.recording_id,
                             attempt=job.attempts, services=self.services, report=report)
        attempt = Attempt(handler, context, timeout=self.config.timeout)
        self._running[job_id] = attempt
        if self._stopping:
            attempt.stop(StopReason.INTERRUPT)
        elif job_id in self._aborted:
            attempt.stop(StopReason.CANCEL)
        done_watching = asyncio.Event()
        watch = asyncio.create_task(self._watch(job_id, job, attempt, done_watching))
        try:
            outcome = await attempt.outcome()
        finally:
            done_watching.set()
            await watch
            self._running.pop(job_id, None)
            self._aborted.discard(job_id)
        await self._record(job, job_id, attempt, outcome)

    async def _record(self, job: Job, job_id: int, attempt: Attempt, outcome: Outcome) -> None:
        """Write how the attempt ended; raise what tells SAQ to retry or fail it."""
        if outcome.ending is Ending.SUCCEEDED:
            done = await self.store.succeed(job_id, queue_key=job.key)
            if done is not None:
                _log("job.succeeded", done)
            return
        if outcome.ending is Ending.CANCELLED and attempt.interrupted:
            back = await self.store.requeue(job_id, "interrupted: the worker stopped",
                                            uncount=True, queue_key=job.key)
            if back is not None:
                _log("job.interrupted", back)
            job.attempts -= 1
            raise WorkerStopping(f"worker {self.name} is stopping")
        if outcome.ending is Ending.CANCELLED:
            # Stopped by an abort or by the row's flag: cancelled if someone asked for it;
            # otherwise a sweep thought this worker dead and the job runs again elsewhere.
            row = await self.store.find(job_id)
            if row is not None and row.cancel_requested:
                cancelled = await self.store.mark_cancelled(job_id)
                if cancelled is not None:
                    _log("job.cancelled", cancelled)
            else:
                back = await self.store.requeue(job_id, "interrupted", uncount=False,
                                                queue_key=job.key)
                if back is not None:
                    _log("job.interrupted", back, reason=job.error)
            return
        if outcome.ending is Ending.FAILED:
            job.retries = job.attempts  # JobFailed: SAQ must not retry
        raise AttemptFailed(outcome.error) from outcome.exception

    async def _watch(self, job_id: int, job: Job, attempt: Attempt,
                     done: asyncio.Event) -> None:
        """While the handler runs: renew the heartbeat in Redis, and stop the handler if the
        row has been asked to cancel for a while and SAQ's abort has not reached us (Redis
        was unreachable when the web process sent it, say). Ends when ``done`` is set, never
        by cancellation (it makes database calls)."""
        loop = asyncio.get_running_loop()
        beat = max(0.5, min(self.config.heartbeat / 3, 5.0))
        flagged_at: float | None = None
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), beat)
            if done.is_set():
                return
            try:
                await job.update()
                row = await self.store.find(job_id)
            except Exception as exc:
                log.warning("job.heartbeat_failed", job_id=job_id, error=repr(exc))
                continue
            if row is not None and not row.cancel_requested:
                continue
            if flagged_at is None:
                flagged_at = loop.time()
            elif loop.time() - flagged_at >= CANCEL_FALLBACK_SECONDS:
                log.warning("job.abort_not_received", job_id=job_id, queue_key=job.key)
                attempt.stop(StopReason.CANCEL)

    async def _not_runnable(self, job_id: int, job: Job) -> None:
        row = await self.store.find(job_id)
        if row is None:
            log.warning("job.missing", job_id=job_id, queue_key=job.key, backend="saq")
        elif row.cancel_requested and row.state in UNFINISHED:
            done = await self.store.mark_cancelled(job_id)
            if done is not None:
                _log("job.cancelled", done)
        else:
            _log("job.skipped", row, queue_key=job.key,
                 reason="finished" if row.state not in UNFINISHED else "superseded")

    async def _after(self, ctx: Context) -> None:
        job = ctx.get("job")
        try:
            await asyncio.shield(self._after_attempt(ctx))
        finally:
            if job is not None:
                self._in_flight.discard(job.key)
            if not self._in_flight:
                self._drained.set()

    async def _after_attempt(self, ctx: Context) -> None:
        """After SAQ chose to retry or fail a job whose attempt raised: the row follows."""
        exc = ctx.get("exception")
        job = ctx.get("job")
        if exc is None or job is None or isinstance(exc, WorkerStopping):
            return
        job_id = job_kwarg(job)
        if job_id is None:
            return
        error = exc.error if isinstance(exc, AttemptFailed) else error_text(exc)
        if job.status == Status.QUEUED:
            at = await self.queue.retry_at(job)
            row = await self.store.retry_later(job_id, error, at, queue_key=job.key)
            event = "job.retrying"
        else:
            row = await self.store.fail(job_id, error, queue_key=job.key)
            event = "job.failed"
        if row is not None:
            _log(event, row, error=error)

    async def _swept(self, job: Job) -> None:
        """SAQ's sweep took ``job`` from a worker that stopped answering."""
        job_id = job_kwarg(job)
        row = await self.store.find(job_id) if job_id is not None else None
        if row is None or row.state not in UNFINISHED or row.queue_key != job.key:
            return
        who = row.worker or job.worker_id or "its worker"
        if job.status == Status.QUEUED:
            at = await self.queue.retry_at(job)
            error = (f"The worker {who} stopped answering (no heartbeat for "
                     f"{self.config.heartbeat} s) during attempt {job.attempts}; "
                     "the job will run again.")
            done = await self.store.retry_later(row.id or 0, error, at, queue_key=job.key)
        elif row.cancel_requested:
            done = await self.store.mark_cancelled(row.id or 0)
        else:
            done = await self.store.fail(row.id or 0, (
                f"The worker {who} stopped answering during attempt {job.attempts} of "
                f"{row.max_attempts}, the last one. Retry the job to run it again."
            ), queue_key=job.key)
        if done is not None:
            _log("job.swept", done)

    # -- keeping rows and queue in step ------------------------------------------------------
    async def reconcile(self) -> None:
        """Set right what a crash or an outage left: unfinished rows with no job in Redis
        (queued in-process, Redis emptied, enqueue failed) are sent; rows whose SAQ job
        finished long ago without the row hearing of it are finished."""
        try:
            rows = await self.store.unfinished()
        except Exception as exc:
            log.warning("jobs.reconcile_failed", error=repr(exc))
            return
        for row in rows:
            try:
                await self._reconcile_row(row)
            except Exception as exc:
                log.warning("jobs.reconcile_failed", job_id=row.id, error=repr(exc))

    async def _reconcile_row(self, row: MediaJob) -> None:
        assert row.id is not None
        job_id = row.id
        if not row.queue_key:
            keyed = await self.store.assign_queue_key(job_id, new_queue_key())
            if keyed is None:
                return
            row = keyed
        job = await self.queue.job(row.queue_key)
        if job is None:
            if row.cancel_requested:
                await self.store.mark_cancelled(job_id)
                return
            await self.queue.enqueue(saq_job(row, self.config))
            _log("job.requeued", row, queue_key=row.queue_key)
            return
        finished = job.status in (Status.COMPLETE, Status.FAILED, Status.ABORTED)
        if not finished or saq_now() - job.completed < RECONCILE_GRACE_SECONDS * 1000:
            return
        done: MediaJob | None
        if job.status == Status.COMPLETE:
            done = await self.store.succeed(job_id, queue_key=row.queue_key)
        elif row.cancel_requested:
            done = await self.store.mark_cancelled(job_id)
        else:
            done = await self.store.fail(job_id, job.error or f"The queue says {job.status}.",
                                         queue_key=row.queue_key)
        if done is not None:
            _log("job.reconciled", done, queue_status=job.status.value)

