"""The in-process runner (no REDIS_URL): jobs run as asyncio tasks of the web process, with
their rows in the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from starlette.applications import Starlette

from app.jobs import (
    JobConfig,
    JobNotCancellable,
    JobNotFound,
    JobNotRetryable,
    JobStore,
    UnknownJobKind,
    build_job_queue,
)
from app.jobs.local import LocalJobQueue
from app.main import create_app
from app.settings import Settings
from app.wiring import Services
from courses.models.recordings import JobState, MediaJob
from tests.app.jobs.conftest import (
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


def local_queue(services: Services, **config: object) -> LocalJobQueue:
    base = JobConfig.from_settings(services.settings)
    return LocalJobQueue(services, JobStore(services.db, services.clock), TEST_HANDLERS,
                         replace(base, **config))  # type: ignore[arg-type]


@pytest.fixture
async def queue(real_services: Services) -> AsyncIterator[LocalJobQueue]:
    built = build_job_queue(real_services.settings, real_services, TEST_HANDLERS)
    assert isinstance(built, LocalJobQueue)
    await built.start()
    try:
        yield built
    finally:
        await built.close()


async def test_a_job_runs_and_its_progress_is_saved(
    queue: LocalJobQueue, job_settings: Settings
) -> None:
    job = await queue.enqueue("gated", recording_id=None)
    assert job.id and job.state == JobState.QUEUED and job.attempts == 0
    running = await wait_for(queue.store, job.id, lambda r: r.stage == "first half",
                             "reported its first half")
    assert running.state == JobState.RUNNING
    assert running.progress == 50.0
    assert running.attempts == 1
    assert running.worker.endswith(f":{os.getpid()}:web")
    assert running.started_at is not None
    open_gate(job_settings, job.id)
    done = await wait_for_state(queue.store, job.id, JobState.SUCCEEDED)
    assert done.progress == 100.0
    assert done.stage == "second half"
    assert done.error == ""
    assert done.finished_at is not None and done.finished_at >= done.created_at


async def test_a_failing_job_is_retried_with_backoff_then_succeeds(
    queue: LocalJobQueue, job_settings: Settings
) -> None:
    job = await queue.enqueue("flaky")
    assert job.id
    retrying = await wait_for_state(queue.store, job.id, JobState.RETRYING)
    assert retrying.error == "RuntimeError: flaky failure on attempt 1"
    assert retrying.next_attempt_at is not None
    wait = (retrying.next_attempt_at - retrying.updated_at).total_seconds()
    assert RETRY_DELAY - 0.1 < wait <= RETRY_DELAY
    done = await wait_for_state(queue.store, job.id, JobState.SUCCEEDED)
    assert done.attempts == 3
    assert done.error == ""
    times = attempt_times(job_settings, job.id)
    assert [a for a, _ in times] == [1, 2, 3]
    # the delay doubles: at least 0.3 s, then at least 0.6 s
    assert times[1][1] - times[0][1] >= RETRY_DELAY * 0.95
    assert times[2][1] - times[1][1] >= 2 * RETRY_DELAY * 0.95


async def test_a_job_that_keeps_failing_ends_failed_with_its_error(
    queue: LocalJobQueue, job_settings: Settings
) -> None:
    job = await queue.enqueue("broken")
    assert job.id
    failed = await wait_for_state(queue.store, job.id, JobState.FAILED)
    assert failed.attempts == failed.max_attempts == 3
    assert failed.error == "RuntimeError: disk on fire"
    assert failed.finished_at is not None and failed.next_attempt_at is None
    assert len(attempt_times(job_settings, job.id)) == 3


async def test_job_failed_is_not_retried(queue: LocalJobQueue, job_settings: Settings) -> None:
    job = await queue.enqueue("doomed")
    assert job.id
    failed = await wait_for_state(queue.store, job.id, JobState.FAILED)
    assert failed.attempts == 1
    assert failed.error == "The recording has no video track: nothing to compose."
    assert len(attempt_times(job_settings, job.id)) == 1


async def test_an_ffmpeg_failure_keeps_ffmpegs_whole_error_text(
    queue: LocalJobQueue, job_settings: Settings
) -> None:
    job = await queue.enqueue("ffmpeg_bad")
    assert job.id
    failed = await wait_for_state(queue.store, job.id, JobState.FAILED)
    message = job_path(job_settings, job.id, "message").read_text()
    assert failed.error == message
    assert "No such file or directory" in failed.error
    assert failed.error.startswith("ffmpeg")
    assert failed.attempts == 1


async def test_cancelling_a_queued_job_cancels_it_before_it_runs(
    queue: LocalJobQueue, job_settings: Settings
) -> None:
    busy = await queue.enqueue("gated")  # the only slot (concurrency 1) is taken
    waiting = await queue.enqueue("steps")
    assert busy.id and waiting.id
    await wait_for_state(queue.store, busy.id, JobState.RUNNING)
    cancelled = await queue.cancel(waiting.id)
    assert cancelled.state == JobState.CANCELLED
    assert cancelled.cancel_requested and cancelled.finished_at is not None
    open_gate(job_settings, busy.id)
    await wait_for_state(queue.store, busy.id, JobState.SUCCEEDED)
    after = await queue.store.get(waiting.id)
    assert after.state == JobState.CANCELLED and after.attempts == 0
    assert attempt_times(job_settings, waiting.id) == []
    with pytest.raises(JobNotCancellable, match="already cancelled"):
        await queue.cancel(waiting.id)


async def test_cancelling_a_running_job_cancels_its_task_and_kills_its_child(
    queue: LocalJobQueue, job_settings: Settings
) -> None:
    job = await queue.enqueue("hang")
    assert job.id
    pid = await child_pid(job_settings, job.id)
    assert (await queue.store.get(job.id)).state == JobState.RUNNING
    cancelled = await queue.cancel(job.id)
    assert cancelled.state == JobState.CANCELLED
    assert job_path(job_settings, job.id, "cancelled").read_text() == "yes"
    assert await gone(pid), f"the job's child process {pid} is still running"
    # the next job still runs: the slot survived the cancellation
    nxt = await queue.enqueue("steps")
    assert nxt.id
    await wait_for_state(queue.store, nxt.id, JobState.SUCCEEDED)


async def test_retrying_a_failed_job_resets_it_and_runs_it_again(
    queue: LocalJobQueue, job_settings: Settings
) -> None:
    job = await queue.enqueue("doomed")
    assert job.id
    await wait_for_state(queue.store, job.id, JobState.FAILED)
    job_path(job_settings, job.id, "fixed").write_text("the track was found")
    again = await queue.retry(job.id)
    assert again.state == JobState.QUEUED
    assert again.attempts == 0 and again.error == "" and again.finished_at is None
    done = await wait_for_state(queue.store, job.id, JobState.SUCCEEDED)
    assert done.attempts == 1 and done.error == ""
    assert len(attempt_times(job_settings, job.id)) == 2


async def test_retrying_a_cancelled_job_runs_it(
    queue: LocalJobQueue, job_settings: Settings
) -> None:
    job = await queue.enqueue("hang")
    assert job.id
    pid = await child_pid(job_settings, job.id)
    await queue.cancel(job.id)
    assert await gone(pid)
    job_path(job_settings, job.id, "pid-1").unlink()
    again = await queue.retry(job.id)
    assert again.state == JobState.QUEUED and not again.cancel_requested
    second = await child_pid(job_settings, job.id)  # attempts were reset: attempt 1 again
    assert second != pid
    assert (await queue.store.get(job.id)).state == JobState.RUNNING
    await queue.cancel(job.id)
    assert await gone(second)


async def test_wrong_requests_are_refused_with_clear_errors(queue: LocalJobQueue) -> None:
    with pytest.raises(UnknownJobKind) as unknown:
        await queue.enqueue("transmogrify")
    assert "transmogrify" in unknown.value.errors["kind"]
    assert "steps" in unknown.value.errors["kind"]
    with pytest.raises(JobNotFound, match="no media job with id 4242"):
        await queue.cancel(4242)
    with pytest.raises(JobNotFound):
        await queue.retry(4242)
    job = await queue.enqueue("steps")
    assert job.id
    await wait_for_state(queue.store, job.id, JobState.SUCCEEDED)
    with pytest.raises(JobNotRetryable, match="only a failed or cancelled job"):
        await queue.retry(job.id)
    with pytest.raises(JobNotCancellable):
        await queue.cancel(job.id)


async def test_a_job_past_its_timeout_is_stopped_and_fails(
    real_services: Services, job_settings: Settings
) -> None:
    queue = local_queue(real_services, timeout=0.5, max_attempts=1)
    await queue.start()
    try:
        job = await queue.enqueue("hang")
        assert job.id
        pid = await child_pid(job_settings, job.id)
        failed = await wait_for_state(queue.store, job.id, JobState.FAILED)
        assert "MEDIA_JOB_TIMEOUT" in failed.error and "0.5 s" in failed.error
        assert await gone(pid)
    finally:
        await queue.close()


async def _row(services: Services, state: JobState, attempts: int, **extra: object) -> int:
    store = JobStore(services.db, services.clock)
    job = await store.create("steps", None, 3)
    assert job.id
    async with services.db.session() as session:
        row = await session.get(MediaJob, job.id)
        assert row is not None
        row.state = state
        row.attempts = attempts
        for key, value in extra.items():
            setattr(row, key, value)
        session.add(row)
    return job.id


async def test_rows_a_killed_process_left_are_taken_up_at_start(
    real_services: Services, job_settings: Settings
) -> None:
    now = real_services.clock.now()
    running = await _row(real_services, JobState.RUNNING, 1, worker="gone:1:web")
    queued = await _row(real_services, JobState.QUEUED, 0)
    retrying = await _row(real_services, JobState.RETRYING, 1, error="RuntimeError: x",
                          next_attempt_at=now - timedelta(seconds=1))
    last_try = await _row(real_services, JobState.RUNNING, 3)
    cancelling = await _row(real_services, JobState.RUNNING, 1, cancel_requested=True)
    queue = build_job_queue(job_settings, real_services, TEST_HANDLERS)
    await queue.start()
    try:
        for job_id, attempts in ((running, 2), (queued, 1), (retrying, 2)):
            done = await wait_for_state(queue.store, job_id, JobState.SUCCEEDED)
            assert done.attempts == attempts
            assert attempt_times(job_settings, job_id), "the handler really ran"
        failed = await queue.store.get(last_try)
        assert failed.state == JobState.FAILED
        assert "server stopped during attempt 3 of 3" in failed.error
        assert (await queue.store.get(cancelling)).state == JobState.CANCELLED
    finally:
        await queue.close()


async def test_closing_interrupts_a_running_job_which_runs_again_at_the_next_start(
    real_services: Services, job_settings: Settings
) -> None:
    first = build_job_queue(job_settings, real_services, TEST_HANDLERS)
    await first.start()
    job = await first.enqueue("gated")
    assert job.id
    await wait_for(first.store, job.id, lambda r: r.stage == "first half", "started")
    await first.close()
    interrupted = await first.store.get(job.id)
    assert interrupted.state == JobState.QUEUED
    assert interrupted.attempts == 0  # an interruption is not the job's failure
    open_gate(job_settings, job.id)
    second = build_job_queue(job_settings, real_services, TEST_HANDLERS)
    await second.start()
    try:
        done = await wait_for_state(second.store, job.id, JobState.SUCCEEDED)
        assert done.attempts == 1
        assert [a for a, _ in attempt_times(job_settings, job.id)] == [1, 1]
    finally:
        await second.close()


async def test_concurrency_runs_that_many_jobs_at_once(
    real_services: Services, job_settings: Settings
) -> None:
    queue = local_queue(real_services, concurrency=2)
    await queue.start()
    try:
        a = await queue.enqueue("gated")
        b = await queue.enqueue("gated")
        c = await queue.enqueue("gated")
        assert a.id and b.id and c.id
        await wait_for_state(queue.store, a.id, JobState.RUNNING)
        await wait_for_state(queue.store, b.id, JobState.RUNNING)
        assert (await queue.store.get(c.id)).state == JobState.QUEUED
        open_gate(job_settings, a.id)
        await wait_for_state(queue.store, c.id, JobState.RUNNING)
        for job_id in (b.id, c.id):
            open_gate(job_settings, job_id)
            await wait_for_state(queue.store, job_id, JobState.SUCCEEDED)
    finally:
        await queue.close()


async def test_the_app_lifespan_starts_and_stops_the_runner(
    real_services: Services, job_settings: Settings
) -> None:
    real_services.jobs = build_job_queue(job_settings, real_services, TEST_HANDLERS)
    queued = await real_services.jobs.enqueue("steps")  # before start: waits for it
    assert queued.id
    app: Starlette = create_app(job_settings, services=real_services)
    async with app.router.lifespan_context(app):
        done = await wait_for_state(real_services.jobs.store, queued.id, JobState.SUCCEEDED)
        assert done.attempts == 1
