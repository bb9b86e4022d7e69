"""Media jobs (composing recordings): a queue whose rows in ``media_jobs`` people watch.

Without ``REDIS_URL`` jobs run in the web process (``LocalJobQueue``); with it they travel
through Redis with SAQ to ``rounds worker`` processes (``SaqJobQueue`` enqueues, ``JobWorker``
runs). Either way a handler gets a ``JobContext``, reports progress, and raises ``JobFailed``
for a failure no retry can fix. The kinds of job and their handlers: ``app.jobs.kinds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from app.jobs.config import JobConfig
from app.jobs.context import JobContext, JobFailed, JobHandler
from app.jobs.errors import JobNotCancellable, JobNotFound, JobNotRetryable, UnknownJobKind
from app.jobs.kinds import check_kinds
from app.jobs.queue import JobQueue
from app.jobs.store import JobStore
from app.settings import Settings

if TYPE_CHECKING:
    from app.wiring import Services

__all__ = [
    "JobConfig",
    "JobContext",
    "JobFailed",
    "JobHandler",
    "JobNotCancellable",
    "JobNotFound",
    "JobNotRetryable",
    "JobQueue",
    "JobStore",
    "UnknownJobKind",
    "build_job_queue",
]


def build_job_queue(
    settings: Settings, services: Services, handlers: Mapping[str, JobHandler]
) -> JobQueue:
    """The queue for this process: in-process without ``REDIS_URL``, SAQ over Redis with it.
    Nothing runs until ``start()``."""
    config = JobConfig.from_settings(settings)
    store = JobStore(services.db, services.clock)
    checked = check_kinds(dict(handlers))
    if settings.redis_url:
        from app.jobs.redis_queue import SaqJobQueue

        return SaqJobQueue(services, store, checked, config, settings.redis_url)
    from app.jobs.local import LocalJobQueue

    return LocalJobQueue(services, store, checked, config)
