"""Fixtures for the job queue tests: services on a real clock, and helpers that wait for a
job's row and read what the test handlers (tests/app/jobs/handlers.py) left behind."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import redis

from app.jobs import JobStore
from app.settings import Settings
from app.wiring import Services, build_services
from courses.models.recordings import MediaJob
from tests import services as svc

RETRY_DELAY = 0.3
HEARTBEAT = 2


@pytest.fixture
def job_settings(settings: Settings) -> Settings:
    """The test settings (either database) with a short retry delay."""
    return settings.model_copy(update={"media_job_retry_delay": RETRY_DELAY})


@pytest.fixture
async def real_services(job_settings: Settings) -> AsyncIterator[Services]:
    """Services on the system clock: retry delays are real time here."""
    built = build_services(job_settings)
    try:
        yield built
    finally:
        await built.close()


async def wait_for(store: JobStore, job_id: int, check: Callable[[MediaJob], bool],
                   what: str, within: float = 15.0) -> MediaJob:
    """The job's row once ``check`` holds; fails with the last row seen after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        row = await store.get(job_id)
        if check(row):
            return row
        if loop.time() > deadline:
            raise AssertionError(f"job {job_id} never {what}: {row}")
        await asyncio.sleep(0.02)


async def wait_for_state(store: JobStore, job_id: int, state: str,
                         within: float = 15.0) -> MediaJob:
    return await wait_for(store, job_id, lambda r: r.state == state, f"became {state}",
                          within)


def job_path(settings: Settings, job_id: int, name: str) -> Path:
    folder = settings.data_dir / "job-files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job_id}-{name}"


def open_gate(settings: Settings, job_id: int) -> None:
    job_path(settings, job_id, "gate").write_text("open")


def attempt_times(settings: Settings, job_id: int) -> list[tuple[int, float]]:
    path = job_path(settings, job_id, "attempts")
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        attempt, at = line.split()
        found.append((int(attempt), float(at)))
    return found


async def child_pid(settings: Settings, job_id: int, attempt: int = 1,
                    within: float = 15.0) -> int:
    """The pid of the child process the 'hang' handler started in ``attempt``."""
    path = job_path(settings, job_id, f"pid-{attempt}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (path.exists() and path.read_text().strip()):
        if loop.time() > deadline:
            raise AssertionError(f"job {job_id} started no child process")
        await asyncio.sleep(0.02)
    return int(path.read_text())


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def gone(pid: int, within: float = 5.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while process_exists(pid):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


# The real server and Chromium of the browser tests, for the jobs page's own browser test.
from tests.browser.conftest import browser, live_server  # noqa: E402, F401


@pytest.fixture
def redis_settings(job_settings: Settings) -> Iterator[Settings]:
    """The test settings with Redis (database 15) and a queue of this test's own."""
    if not svc.redis_reachable():
        svc.unavailable("Redis at 127.0.0.1:6379")
    name = f"rounds:test:{uuid.uuid4().hex[:12]}"
    yield job_settings.model_copy(update={
        "redis_url": svc.REDIS_URL, "media_job_queue": name, "media_job_heartbeat": HEARTBEAT,
    })
    client = redis.Redis.from_url(svc.REDIS_URL)
    try:
        for key in client.scan_iter(f"saq:*{name}*"):
            client.delete(key)
    finally:
        client.close()
