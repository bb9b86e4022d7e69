"""The job queue's knobs, read once from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings import Settings


@dataclass(frozen=True)
class JobConfig:
    concurrency: int = 1
    """Jobs run at once per process (the web process, or each ``rounds worker``)."""
    max_attempts: int = 3
    retry_delay: float = 10.0
    """Seconds before the first retry; each further retry waits twice as long."""
    timeout: float = 4 * 3600.0
    """An attempt running longer is stopped and counts as failed."""
    heartbeat: int = 30
    """With Redis: a running job whose worker has been silent this long is taken up again."""
    queue_name: str = "rounds:media"

    @classmethod
    def from_settings(cls, settings: Settings) -> JobConfig:
        return cls(
            concurrency=settings.media_job_concurrency,
            max_attempts=settings.media_job_max_attempts,
            retry_delay=settings.media_job_retry_delay,
            timeout=settings.media_job_timeout,
            heartbeat=settings.media_job_heartbeat,
            queue_name=settings.media_job_queue,
        )
