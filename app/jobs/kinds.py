"""Which handler runs each kind of media job: the one table both the web process (in-process
runner) and ``rounds worker`` read. A new kind of job gets its line in ``job_handlers``."""

from __future__ import annotations

import re

from app.jobs.context import JobHandler

KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")


def check_kinds(handlers: dict[str, JobHandler]) -> dict[str, JobHandler]:
    """``handlers`` after checking each kind fits the ``media_jobs.kind`` column."""
    for kind in handlers:
        if not KIND_PATTERN.fullmatch(kind):
            raise ValueError(
                f"Job kind {kind!r}: use 1 to 32 lower-case letters, digits or '_', "
                "starting with a letter."
            )
    return dict(handlers)


def job_handlers() -> dict[str, JobHandler]:
    """Every kind of job Rounds runs, by name. Imported lazily: handlers may import the
    services that import this package."""
    from app.compose_job import COMPOSE, compose

    handlers: dict[str, JobHandler] = {COMPOSE: compose}
    return check_kinds(handlers)
