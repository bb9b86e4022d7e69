"""The worker process of the Procfile: ``rounds worker``.

With ``REDIS_URL`` it runs the media jobs (composing recordings) that web processes queue,
through SAQ (``app.jobs.redis_worker``); start as many as you like, on any machine that
reaches the database, Redis and the media folder. It also beats a heartbeat into Redis so
operators can see it, sets right rows a crash left out of step with the queue, and stops
cleanly on SIGTERM or SIGINT: a job it was running goes back to the queue.

Without ``REDIS_URL`` jobs run inside the web process; this process then only checks the
database and waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Mapping

import structlog

from app.jobs import JobConfig, JobHandler
from app.jobs.redis_worker import JobWorker
from app.logs import configure_logging
from app.reminders import start_reminders, stop_reminders
from app.settings import Settings
from app.webhooks.dispatcher import start_dispatcher, stop_dispatcher
from app.wiring import build_services

log = structlog.get_logger("rounds.worker")
HEARTBEAT_SECONDS = 10


async def run_worker(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    handlers: Mapping[str, JobHandler] | None = None,
) -> None:
    """Run until ``stop`` is set (or SIGTERM/SIGINT). ``handlers``: the job kinds to run,
    by default ``app.jobs.kinds.job_handlers()``."""
    configure_logging(settings.effective_log_format, settings.log_level)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    services = build_services(settings)
    name = f"{socket.gethostname()}:{os.getpid()}"
    jobs: JobWorker | None = None
    try:
        await services.db.ping()
        if services.redis is not None:
            await services.redis.ping()
            if handlers is None:
                from app.jobs.kinds import job_handlers

                handlers = job_handlers()
            jobs = JobWorker(services, handlers, JobConfig.from_settings(settings),
                             settings.redis_url, name)
            await jobs.start()
            await start_dispatcher(services)  # webhooks: the web processes only publish
            await start_reminders(services)  # reminder mail, claimed once across workers
        else:
            log.info("worker.no_redis", worker=name,
                     detail="Without REDIS_URL media jobs run in the web process.")
        log.info("worker.started", worker=name, redis=services.redis is not None,
                 kinds=sorted(jobs.handlers) if jobs else [])
        while not stop.is_set():
            if services.redis is not None:
                await services.redis.set(
                    f"rounds:workers:{name}", "alive", ex=HEARTBEAT_SECONDS * 3
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEARTBEAT_SECONDS)
            if jobs is not None and not stop.is_set():
                await jobs.reconcile()
    finally:
        if jobs is not None:
            await jobs.stop()
        if services.redis is not None:
            with contextlib.suppress(Exception):
                await services.redis.delete(f"rounds:workers:{name}")
        await stop_dispatcher(services)
        await stop_reminders(services)
        await services.close()
        log.info("worker.stopped", worker=name)
