"""One attempt at one job, the same for both backends: run the handler in a task of its own,
stop it at the timeout or on request, and say how it ended.

Stopping repeats the cancellation every second until the handler's task is done: a single
``Task.cancel()`` can be swallowed (SQLAlchemy's pool catches a CancelledError that lands
while it resets a connection), and a job must not run on after it was cancelled.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

import structlog

from app.jobs.context import JobContext, JobFailed, JobHandler

log = structlog.get_logger(__name__)

POLL_SECONDS = 1.0
# A handler still running this long after it was told to stop is left to finish on its own.
STOP_WAIT_SECONDS = 30.0


class Ending(StrEnum):
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"
    """Stopped on request, or because its process is stopping (see ``Attempt.reason``)."""
    FAILED = "failed"
    """Raised JobFailed: retrying would not help."""
    ERROR = "error"
    """Raised anything else, or ran past the timeout: worth another attempt."""


class StopReason(StrEnum):
    CANCEL = "cancel"
    """Someone cancelled the job."""
    INTERRUPT = "interrupt"
    """The process running it is stopping: the job should run again later."""
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Outcome:
    ending: Ending
    error: str = ""
    exception: BaseException | None = None


def error_text(exc: BaseException) -> str:
    """What admins read: a JobFailed's message as is (FFmpeg's error text included), otherwise
    the exception's type and message. Whole: never cut, however long."""
    if isinstance(exc, JobFailed):
        return str(exc) or "The job failed."
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class Attempt:
    """The running handler of one job. ``stop()`` ends it; ``outcome()`` waits for it.

    If the task awaiting ``outcome()`` is itself cancelled, the handler is stopped too (and
    waited for, so that its child processes are gone) before the cancellation propagates.
    """

    def __init__(self, handler: JobHandler, context: JobContext, *, timeout: float) -> None:
        self.context = context
        self.timeout = timeout
        self.reason: StopReason | None = None
        self._loop = asyncio.get_running_loop()
        self._stop_began = 0.0
        self.task: asyncio.Task[None] = asyncio.create_task(
            self._call(handler, context), name=f"job-{context.job_id}"
        )

    @staticmethod
    async def _call(handler: JobHandler, context: JobContext) -> None:
        await handler(context)

    def stop(self, reason: StopReason) -> None:
        """Cancel the handler. The first reason given is the one that counts."""
        if self.reason is None:
            self.reason = reason
            self._stop_began = self._loop.time()
        self.task.cancel()

    @property
    def interrupted(self) -> bool:
        return self.reason is StopReason.INTERRUPT

    def _gave_up(self) -> bool:
        if self._loop.time() - self._stop_began <= STOP_WAIT_SECONDS:
            return False
        log.error("job.handler_not_stopping", job_id=self.context.job_id,
                  kind=self.context.kind, recording_id=self.context.recording_id,
                  attempt=self.context.attempt, reason=self.reason)
        return True

    async def _until_stopped(self) -> None:
        while not self.task.done():
            self.task.cancel()
            await asyncio.wait({self.task}, timeout=POLL_SECONDS)
            if self._gave_up():
                return

    async def outcome(self) -> Outcome:
        deadline = self._loop.time() + self.timeout
        try:
            while not self.task.done():
                wait = POLL_SECONDS
                if self.reason is None:
                    wait = max(0.01, min(POLL_SECONDS, deadline - self._loop.time()))
                await asyncio.wait({self.task}, timeout=wait)
                if self.task.done():
                    break
                if self.reason is None:
                    if self._loop.time() >= deadline:
                        self.stop(StopReason.TIMEOUT)
                elif self._gave_up():
                    break
                else:
                    self.task.cancel()  # again: the last one may have been swallowed
        except asyncio.CancelledError:
            self.stop(StopReason.INTERRUPT)
            await asyncio.shield(self._until_stopped())
            raise
        return self._result()

    def _result(self) -> Outcome:
        timed_out = Outcome(Ending.ERROR, (
            f"TimeoutError: the job ran longer than MEDIA_JOB_TIMEOUT ({self.timeout:g} s) "
            "and was stopped."
        ))
        if not self.task.done():
            return timed_out if self.reason is StopReason.TIMEOUT else Outcome(Ending.CANCELLED)
        failure = None if self.task.cancelled() else self.task.exception()
        if not self.task.cancelled() and failure is None:
            return Outcome(Ending.SUCCEEDED)  # finished before the stop took effect
        if self.reason is StopReason.TIMEOUT:
            return timed_out
        if self.reason is not None:
            return Outcome(Ending.CANCELLED)
        if failure is None:
            # Cancelled, but not by us: the handler cancelled itself.
            return Outcome(Ending.ERROR, "CancelledError: the job's task was cancelled.")
        ending = Ending.FAILED if isinstance(failure, JobFailed) else Ending.ERROR
        return Outcome(ending, error_text(failure), failure)
