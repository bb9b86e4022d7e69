"""Jobs over the real Redis with SAQ: a web process's queue enqueues, a worker (in this
process, or a real worker process) runs them, and the rows in the database follow."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from saq.job import Status

from app.jobs import JobConfig, JobNotCancellable, build_job_queue
from app.jobs.redis_queue import SaqJobQueue
from app.jobs.redis_worker import JobWorker
from app.settings import Settings
from app.wiring import Services, build_services
from courses.models.recordings import JobState, MediaJob
from tests.app.jobs.conftest import (
    HEARTBEAT,
    RETRY_DELAY,
    attempt_times,
    child_pid,
    gone,
    job_path,
    open_gate,
    wait_for,
    wait_for_state,
)
from tests.app.jobs.handlers import TEST_HANDLERS

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[3]

StartWorker = Callable[[str], Awaitable[JobWorker]]


@pytest.fixture
async def web(redis_settings: Settings) -> AsyncIterator[SaqJobQueue]:
    """The web process's side: its own services, a queue that only enqueues."""
    services = build_services(redis_settings)
    queue = build_job_queue(redis_settings, services, TEST_HANDLERS)
    assert isinstance(queue, SaqJobQueue)
    await queue.start()
    try:
        yield queue
    finally:
        await services.close()  # closes the queue too


@pytest.fixture
async def start_worker(redis_settings: Settings) -> AsyncIterator[StartWorker]:
    """Starts workers, each with services of its own as a worker process has; stops them."""
    started: list[tuple[JobWorker, Services]] = []

    async def start(name: str) -> JobWorker:
        services = build_services(redis_settings)
        worker = JobWorker(services, TEST_HANDLERS, JobConfig.from_settings(redis_settings),
                           redis_settings.redis_url, name)
        await worker.start()
        started.append((worker, services))
        return worker

    yield start
    for worker, services in started:
        if worker._task is not None and not worker._task.done():
            await worker.stop()
        await services.close()


async def test_a_job_queued_by_the_web_runs_in_a_worker_with_its_progress_saved(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings
) -> None:
    await start_worker("worker-a")
    job = await web.enqueue("gated", recording_id=None)
    assert job.id and job.state == JobState.QUEUED and job.queue_key.startswith("media-")
    running = await wait_for(web.store, job.id, lambda r: r.stage == "first half",
                             "reported its first half")
    assert running.state == JobState.RUNNING
    assert running.progress == 50.0 and running.attempts == 1
    assert running.worker == "worker-a"
    queued = await web.queue.job(job.queue_key)
    assert queued is not None and queued.progress == 0.5 and queued.status == Status.ACTIVE
    assert queued.retries == 3 and queued.heartbeat == HEARTBEAT
    open_gate(redis_settings, job.id)
    done = await wait_for_state(web.store, job.id, JobState.SUCCEEDED)
    assert done.progress == 100.0 and done.error == "" and done.finished_at is not None


async def test_failures_are_retried_by_saq_with_backoff_then_succeed(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings
) -> None:
    await start_worker("worker-a")
    job = await web.enqueue("flaky")
    assert job.id
    retrying = await wait_for_state(web.store, job.id, JobState.RETRYING)
    assert retrying.error == "RuntimeError: flaky failure on attempt 1"
    assert retrying.next_attempt_at is not None
    # SAQ's exponential backoff with jitter: the first wait is at most RETRY_DELAY
    assert (retrying.next_attempt_at - retrying.updated_at).total_seconds() <= RETRY_DELAY
    saq_job = await web.queue.job(job.queue_key)
    assert saq_job is not None
    assert saq_job.retry_delay == RETRY_DELAY and saq_job.retry_backoff
    done = await wait_for_state(web.store, job.id, JobState.SUCCEEDED)
    assert done.attempts == 3 and done.error == ""
    assert [a for a, _ in attempt_times(redis_settings, job.id)] == [1, 2, 3]


async def test_a_job_that_keeps_failing_ends_failed_and_job_failed_is_not_retried(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings
) -> None:
    await start_worker("worker-a")
    broken = await web.enqueue("broken")
    doomed = await web.enqueue("doomed")
    assert broken.id and doomed.id
    failed = await wait_for_state(web.store, broken.id, JobState.FAILED)
    assert failed.attempts == 3 and failed.error == "RuntimeError: disk on fire"
    assert len(attempt_times(redis_settings, broken.id)) == 3
    final = await wait_for_state(web.store, doomed.id, JobState.FAILED)
    assert final.attempts == 1
    assert final.error == "The recording has no video track: nothing to compose."
    assert len(attempt_times(redis_settings, doomed.id)) == 1
    saq_job = await web.queue.job(doomed.queue_key)
    assert saq_job is not None and saq_job.status == Status.FAILED


async def test_cancel_from_the_web_reaches_the_running_job_and_kills_its_child(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings
) -> None:
    await start_worker("worker-a")
    job = await web.enqueue("hang")
    assert job.id
    pid = await child_pid(redis_settings, job.id)
    assert (await web.store.get(job.id)).state == JobState.RUNNING
    cancelled = await web.cancel(job.id)
    assert cancelled.state == JobState.CANCELLED
    assert job_path(redis_settings, job.id, "cancelled").read_text() == "yes"
    assert await gone(pid), f"the job's child {pid} survived the cancel"
    saq_job = await web.queue.job(job.queue_key)
    assert saq_job is not None and saq_job.status == Status.ABORTED  # SAQ's abort did it
    with pytest.raises(JobNotCancellable):
        await web.cancel(job.id)


async def test_a_cancel_whose_abort_never_reached_redis_still_stops_the_job(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings
) -> None:
    await start_worker("worker-a")
    job = await web.enqueue("hang")
    assert job.id
    pid = await child_pid(redis_settings, job.id)
    await web.store.request_cancel(job.id)  # the row's flag only: no abort through Redis
    cancelled = await wait_for_state(web.store, job.id, JobState.CANCELLED)
    assert cancelled.attempts == 1
    assert await gone(pid)
    assert job_path(redis_settings, job.id, "cancelled").read_text() == "yes"


async def test_a_job_cancelled_while_queued_never_runs(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings
) -> None:
    job = await web.enqueue("steps")  # no worker yet
    assert job.id
    cancelled = await web.cancel(job.id)
    assert cancelled.state == JobState.CANCELLED and cancelled.attempts == 0
    saq_job = await web.queue.job(job.queue_key)
    assert saq_job is not None and saq_job.status == Status.ABORTED
    await start_worker("worker-a")
    other = await web.enqueue("steps")
    assert other.id
    await wait_for_state(web.store, other.id, JobState.SUCCEEDED)
    assert (await web.store.get(job.id)).state == JobState.CANCELLED
    assert attempt_times(redis_settings, job.id) == []


async def test_retrying_a_failed_job_sends_it_again_under_a_new_key(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings
) -> None:
    await start_worker("worker-a")
    job = await web.enqueue("doomed")
    assert job.id
    await wait_for_state(web.store, job.id, JobState.FAILED)
    job_path(redis_settings, job.id, "fixed").write_text("found it")
    again = await web.retry(job.id)
    assert again.state == JobState.QUEUED and again.attempts == 0 and again.error == ""
    assert again.queue_key != job.queue_key
    done = await wait_for_state(web.store, job.id, JobState.SUCCEEDED)
    assert done.attempts == 1


async def test_a_stopping_worker_hands_its_job_back_and_another_finishes_it(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings
) -> None:
    first = await start_worker("worker-a")
    job = await web.enqueue("gated")
    assert job.id
    await wait_for(web.store, job.id, lambda r: r.stage == "first half", "started")
    await first.stop()
    back = await web.store.get(job.id)
    assert back.state == JobState.QUEUED and back.attempts == 0
    open_gate(redis_settings, job.id)
    await start_worker("worker-b")
    done = await wait_for_state(web.store, job.id, JobState.SUCCEEDED)
    assert done.worker == "worker-b" and done.attempts == 1


async def test_a_worker_sends_rows_that_never_reached_redis(
    redis_settings: Settings, web: SaqJobQueue, start_worker: StartWorker
) -> None:
    # queued while Redis was unreachable, or in-process before REDIS_URL was set: no key
    row = await web.store.create("steps", None, 3)
    assert row.id and row.queue_key == ""
    await start_worker("worker-a")
    done = await wait_for_state(web.store, row.id, JobState.SUCCEEDED)
    assert done.queue_key.startswith("media-") and done.attempts == 1


def _worker_process(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ROUNDS_ENV": "test", "DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.effective_database_url, "REDIS_URL": settings.redis_url,
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdefgh", "LOG_FORMAT": "json",
        "MEDIA_JOB_QUEUE": settings.media_job_queue,
        "MEDIA_JOB_HEARTBEAT": str(settings.media_job_heartbeat),
        "MEDIA_JOB_RETRY_DELAY": str(settings.media_job_retry_delay),
    }
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "tests.app.jobs.worker_main"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_killed_worker_process_job_is_taken_up_again_and_succeeds(
    web: SaqJobQueue, start_worker: StartWorker, redis_settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    proc = _worker_process(redis_settings, log)
    try:
        job = await web.enqueue("hang_first")
        assert job.id
        pid = await child_pid(redis_settings, job.id, within=30)
        running = await web.store.get(job.id)
        assert running.state == JobState.RUNNING
        assert running.worker.endswith(f":{proc.pid}"), running.worker
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        assert await gone(pid), "the killed worker's FFmpeg-like child kept running"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    await start_worker("worker-b")
    seen: set[str] = set()

    def follow(row: MediaJob) -> bool:
        seen.add(row.state)
        return row.state == JobState.SUCCEEDED

    done = await wait_for(web.store, job.id, follow, "finished on the new worker", within=45)
    assert done.attempts == 2 and done.worker == "worker-b", done
    assert done.error == ""
    assert [a for a, _ in attempt_times(redis_settings, job.id)] == [1, 2]
    assert JobState.RETRYING in seen or JobState.RUNNING in seen
    assert "worker.started" in log.read_text()
