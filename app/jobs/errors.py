"""Errors of the job queue that reach people: the app's handlers turn them into 404, 409, 422."""

from __future__ import annotations

from courses.errors import Conflict, InvalidInput, NotFound


class JobNotFound(NotFound):
    code = "job_not_found"


class JobNotCancellable(Conflict):
    """The job already finished: there is nothing left to cancel."""

    code = "job_not_cancellable"


class JobNotRetryable(Conflict):
    """Only a failed or cancelled job can be run again."""

    code = "job_not_retryable"


class UnknownJobKind(InvalidInput):
    """No handler is registered for this kind of job."""

    code = "unknown_job_kind"

    def __init__(self, kind: str, known: list[str]) -> None:
        names = ", ".join(sorted(known)) or "none are registered"
        super().__init__({"kind": f"No handler runs {kind!r} jobs; known kinds: {names}."})
