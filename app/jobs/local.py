"""Jobs run in the web process, without Redis: asyncio tasks over the ``media_jobs`` rows.

The rows are the queue. Each of ``concurrency`` slots claims the oldest due row (a
compare-and-set, so two slots never take the same job), runs its handler, and writes how it
ended; a failure is retried after ``retry_delay`` seconds, doubling each attempt. At start the
rows a killed process left behind are taken up again, so a restart loses no job.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import socket
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from app.jobs.attempt import STOP_WAIT_SECONDS, Attempt, Ending, Outcome, StopReason
from app.jobs.config import JobConfig
from app.jobs.context import JobContext, JobHandler
from app.jobs.errors import UnknownJobKind
from app.jobs.store import JobStore
from courses.models.recordings import JobState, MediaJob

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)

# A slot with nothing to do looks at the rows at least this often (a row added by another
# process, a retry whose time came while the clock jumped).
IDLE_POLL_SECONDS = 30.0
# How long cancel() and close() wait for running handlers to stop.
STOP_WAIT = STOP_WAIT_SECONDS + 5


def backoff_delay(retry_delay: float, attempt: int) -> float:
    """The wait after failed attempt ``attempt`` (1-based): retry_delay, then doubling."""
    return math.ldexp(retry_delay, max(attempt - 1, 0))


class LocalJobQueue:
    def __init__(
        self,
        services: Services,
        store: JobStore,
        handlers: Mapping[str, JobHandler],
        config: JobConfig,
        *,
        worker: str = "",
    ) -> None:
        self.services = services
        self.store = store
        self.handlers = dict(handlers)
        self.config = config
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:web"
        self._slots: list[asyncio.Task[None]] = []
        self._attempts: dict[int, Attempt] = {}
        self._finished: dict[int, asyncio.Event] = {}
        self._cancelling: set[int] = set()
        self._changed = asyncio.Event()
        self._timers: set[asyncio.TimerHandle] = set()
        self._closing = False

    # -- the JobQueue API ----------------------------------------------------------------
    async def enqueue(self, kind: str, *, recording_id: int | None = None) -> MediaJob:
        if kind not in self.handlers:
            raise UnknownJobKind(kind, list(self.handlers))
        job = await self.store.create(kind, recording_id, self.config.max_attempts)
        log.info("job.enqueued", job_id=job.id, kind=kind, recording_id=recording_id,
                 state=job.state, backend="local")
        self._wake()
        return job

    async def cancel(self, job_id: int) -> MediaJob:
        # Marked first: a slot that claims this job right now cancels it before it starts
        # (the slot forgets the mark when its attempt ends).
        self._cancelling.add(job_id)
        try:
            await self.store.request_cancel(job_id)
        except BaseException:
            self._cancelling.discard(job_id)
            raise
        waiting = await self.store.cancel_if_waiting(job_id)
        if waiting is not None:
            self._cancelling.discard(job_id)
            self._log("job.cancelled", waiting)
            return waiting
        attempt = self._attempts.get(job_id)
        finished = self._finished.get(job_id)
        if attempt is not None:
            attempt.stop(StopReason.CANCEL)
        if finished is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), STOP_WAIT)
        job = await self.store.get(job_id)
        if job.state in (JobState.QUEUED, JobState.RUNNING, JobState.RETRYING):
            # Not (or not yet) running here, or its handler ignores cancellation: the row
            # says cancelled all the same, and no later outcome can change that.
            job = await self.store.mark_cancelled(job_id) or await self.store.get(job_id)
            self._log("job.cancelled", job, confirmed=False)
        return job

    async def retry(self, job_id: int) -> MediaJob:
        job = await self.store.reset_for_retry(job_id, queue_key="")
        self._log("job.retry_requested", job)
        self._wake()
        return job

    async def start(self) -> None:
        if self._slots:
            return
        for job in await self.store.recover_interrupted():
            self._log("job.recovered", job)
        self._slots = [
            asyncio.create_task(self._slot(), name=f"media-jobs-{n}")
            for n in range(self.config.concurrency)
        ]
        log.info("jobs.started", backend="local", concurrency=self.config.concurrency,
                 worker=self.worker, kinds=sorted(self.handlers))

    async def close(self) -> None:
        """Stop the slots. Running handlers are interrupted: their jobs go back to the queue,
        the attempt not counted. Nothing here cancels a task that may be inside a database
        call (that can leave the connection half closed): slots see the flag and return."""
        if not self._slots:
            return
        slots, self._slots = self._slots, []
        self._closing = True
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for attempt in list(self._attempts.values()):
            attempt.stop(StopReason.INTERRUPT)
        self._wake()
        _, stuck = await asyncio.wait(slots, timeout=STOP_WAIT)
        for slot in stuck:  # a last resort
            slot.cancel()
        if stuck:
            await asyncio.wait(stuck, timeout=5)
        self._closing = False
        log.info("jobs.stopped", backend="local", worker=self.worker)

    # -- the slots ---------------------------------------------------------------------------
    def _wake(self) -> None:
        """Every idle slot looks at the rows again."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _wake_later(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(timer)
            self._wake()

        timer = loop.call_later(seconds, fire)
        self._timers.add(timer)

    async def _slot(self) -> None:
        while not self._closing:
            changed = self._changed  # taken first: a wake during the queries is not missed
            try:
                job = await self.store.claim_next(self.worker)
                if job is not None:
                    await self._run(job)
                    continue
                wait = IDLE_POLL_SECONDS
                due = await self.store.next_due()
                if due is not None:
                    wait = min(wait, max(0.05, (due - self.store.clock.now()).total_seconds()))
            except Exception as exc:
                # The database is unreachable, say: try again shortly, never die.
                log.error("jobs.slot_error", error=repr(exc), worker=self.worker)
                wait = 5.0
            if self._closing:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)

    async def _run(self, job: MediaJob) -> None:
        assert job.id is not None
        job_id = job.id
        handler = self.handlers.get(job.kind)
        if handler is None:
            failed = await self.store.fail(job_id, str(UnknownJobKind(job.kind, list(
                self.handlers)).errors["kind"]))
            if failed is not None:
                self._log("job.failed", failed)
            return

        async def report(stage: str, percent: float) -> None:
            await self.store.report_progress(job_id, stage, percent)

        context = JobContext(job_id=job_id, kind=job.kind, recording_id=job.recording_id,
                             attempt=job.attempts, services=self.services, report=report)
        self._finished[job_id] = asyncio.Event()
        attempt = Attempt(handler, context, timeout=self.config.timeout)
        self._attempts[job_id] = attempt
        if self._closing:
            attempt.stop(StopReason.INTERRUPT)
        elif job_id in self._cancelling:
            attempt.stop(StopReason.CANCEL)
        self._log("job.started", job)
        try:
            outcome = await attempt.outcome()
            await asyncio.shield(self._record(job, attempt, outcome))
        finally:
            self._attempts.pop(job_id, None)
            self._cancelling.discard(job_id)
            self._finished.pop(job_id).set()

    async def _record(self, job: MediaJob, attempt: Attempt, outcome: Outcome) -> None:
        assert job.id is not None
        row: MediaJob | None
        if outcome.ending is Ending.CANCELLED and attempt.interrupted:
            # This process is stopping, not the job failing: it runs again at the next
            # start, and this attempt does not count against it.
            row = await self.store.requeue(job.id, "interrupted: the server stopped",
                                           uncount=True)
            event = "job.interrupted"
        elif outcome.ending is Ending.SUCCEEDED:
            row = await self.store.succeed(job.id)
            event = "job.succeeded"
        elif outcome.ending is Ending.CANCELLED:
            row = await self.store.mark_cancelled(job.id)
            event = "job.cancelled"
        elif outcome.ending is Ending.ERROR and job.attempts < job.max_attempts:
            delay = backoff_delay(self.config.retry_delay, job.attempts)
            at = self.store.clock.now() + timedelta(seconds=delay)
            row = await self.store.retry_later(job.id, outcome.error, at)
            event = "job.retrying"
            self._wake_later(delay)
        else:
            row = await self.store.fail(job.id, outcome.error)
            event = "job.failed"
        if row is not None:
            self._log(event, row, error=outcome.error or None, exc_info=outcome.exception)

    def _log(self, event: str, job: MediaJob, **extra: object) -> None:
        fields = {k: v for k, v in extra.items() if v is not None}
        method = log.warning if event in ("job.failed", "job.retrying") else log.info
        method(event, job_id=job.id, kind=job.kind, recording_id=job.recording_id,
               attempt=job.attempts, state=job.state, backend="local", **fields)
