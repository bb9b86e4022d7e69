"""The worker process of the Procfile.

Media jobs (composition, transcoding) arrive with the recording pipeline. Until then the worker
proves its plumbing: it checks the database and, when configured, Redis, beats a heartbeat into
Redis so operators can see it, and stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket

import structlog

from app.logs import configure_logging
from app.settings import Settings
from app.wiring import build_services

log = structlog.get_logger("rounds.worker")
HEARTBEAT_SECONDS = 10


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    configure_logging(settings.effective_log_format, settings.log_level)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    services = build_services(settings)
    name = f"{socket.gethostname()}:{os.getpid()}"
    try:
        await services.db.ping()
        if services.redis is not None:
            await services.redis.ping()
        log.info("worker.started", worker=name, redis=services.redis is not None)
        while not stop.is_set():
            if services.redis is not None:
                await services.redis.set(
                    f"rounds:workers:{name}", "alive", ex=HEARTBEAT_SECONDS * 3
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HEARTBEAT_SECONDS)
    finally:
        if services.redis is not None:
            with contextlib.suppress(Exception):
                await services.redis.delete(f"rounds:workers:{name}")
        await services.close()
        log.info("worker.stopped", worker=name)
