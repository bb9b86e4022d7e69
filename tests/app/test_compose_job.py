"""The compose job as the app runs it: a stopped recording's raw folder is queued, composed
in-process (no REDIS_URL), verified, and its row turns ready; a broken recording fails with the
composer's message and keeps its raw tracks; a retry after repair succeeds; retention removes
raw tracks only after verification."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from app.compose_job import COMPOSE, sweep_raw
from app.jobs import JobStore, build_job_queue
from app.jobs.kinds import job_handlers
from app.jobs.queue import JobQueue
from app.settings import Settings
from app.wiring import Services, build_services
from bench.recordings import generate_recording
from courses.models import JobState, MediaJob, Recording, RecordingState
from courses.recording_lifecycle import RecordingLifecycle
from media.recording.format import track_paths


@pytest.fixture
def job_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"media_job_retry_delay": 0.2,
                                       "raw_retention_hours": 1})


@pytest.fixture
async def real_services(job_settings: Settings) -> AsyncIterator[Services]:
    built = build_services(job_settings)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def queue(real_services: Services, job_settings: Settings) -> AsyncIterator[JobQueue]:
    built = build_job_queue(job_settings, real_services, job_handlers())
    await built.start()
    try:
        yield built
    finally:
        await built.close()


async def stopped_recording(services: Services, settings: Settings, **media: object) -> int:
    """A row as the live server leaves it, with its raw folder written by the generator."""
    async with services.unit() as unit:
        lifecycle = RecordingLifecycle(unit.session, unit.clock)
        row = await lifecycle.begin(room_id="activity-1", title="Grand rounds",
                                    started_by_id=None, activity_id=None, layout="grid")
        assert row.id is not None
        recording_id, raw_path = row.id, row.raw_path
    raw = settings.effective_media_root / raw_path
    generate_recording(raw, **{"seconds": 4.0, "participants": 2, "width": 320,
                               "height": 240, "fps": 15, **media})  # type: ignore[arg-type]
    async with services.unit() as unit:
        await RecordingLifecycle(unit.session, unit.clock).stopped(
            recording_id, at=unit.clock.now())
    return recording_id


async def finished(store: JobStore, job_id: int, within: float = 90.0) -> MediaJob:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        row = await store.get(job_id)
        if row.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED):
            return row
        assert loop.time() < deadline, f"job {job_id} still {row.state}"
        await asyncio.sleep(0.1)


async def recording(services: Services, recording_id: int) -> Recording:
    async with services.unit() as unit:
        row = await unit.session.get(Recording, recording_id)
        assert row is not None
        return row


async def test_a_stopped_recording_is_composed_verified_and_ready(
    real_services: Services, job_settings: Settings, queue: JobQueue
) -> None:
    recording_id = await stopped_recording(real_services, job_settings)
    job = await queue.enqueue(COMPOSE, recording_id=recording_id)
    assert job.id is not None
    done = await finished(queue.store, job.id)
    assert done.state == JobState.SUCCEEDED, done.error
    assert done.progress == 100.0 and done.stage == "done"
    row = await recording(real_services, recording_id)
    assert row.state == RecordingState.READY and row.error == ""
    assert row.verified_at is not None
    assert row.duration_seconds is not None and abs(row.duration_seconds - 4.0) < 0.5
    assert row.output_path == f"recordings/{recording_id}/out-{job.id}"
    out = job_settings.effective_media_root / row.output_path
    for name in ("recording.mp4", "hls/master.m3u8", "poster.jpg", "chapters.vtt"):
        assert (out / name).is_file(), name
    assert isinstance(json.loads(row.chapters_json), list)
    # kept: the retention (1 hour) has not passed yet
    raw = job_settings.effective_media_root / row.raw_path
    assert track_paths(raw) and row.raw_removed_at is None


async def test_a_corrupt_track_fails_clearly_keeps_the_raw_files_and_a_retry_recovers(
    real_services: Services, job_settings: Settings, queue: JobQueue
) -> None:
    recording_id = await stopped_recording(real_services, job_settings)
    row = await recording(real_services, recording_id)
    raw = job_settings.effective_media_root / row.raw_path
    victim = track_paths(raw)[0]
    original = victim.read_bytes()
    damaged = bytearray(original)
    damaged[200:260] = b"\xff" * 60  # garbage in the middle of the records
    victim.write_bytes(bytes(damaged))

    job = await queue.enqueue(COMPOSE, recording_id=recording_id)
    assert job.id is not None
    failed = await finished(queue.store, job.id)
    assert failed.state == JobState.FAILED
    assert failed.attempts == 1  # a broken file is not retried: retrying cannot fix it
    assert victim.name in failed.error
    row = await recording(real_services, recording_id)
    assert row.state == RecordingState.FAILED and victim.name in row.error
    assert victim.read_bytes() == bytes(damaged)  # the raw files are kept as they were
    assert not (job_settings.effective_media_root / f"recordings/{recording_id}/out-{job.id}"
                ).exists()

    victim.write_bytes(original)  # an operator restores the file, then retries
    await queue.retry(job.id)
    again = await finished(queue.store, job.id)
    assert again.state == JobState.SUCCEEDED, again.error
    assert (await recording(real_services, recording_id)).state == RecordingState.READY


async def test_raw_tracks_go_only_after_verification_and_retention(
    real_services: Services, job_settings: Settings, queue: JobQueue
) -> None:
    ready_id = await stopped_recording(real_services, job_settings)
    job = await queue.enqueue(COMPOSE, recording_id=ready_id)
    assert job.id is not None
    assert (await finished(queue.store, job.id)).state == JobState.SUCCEEDED
    waiting_id = await stopped_recording(real_services, job_settings, seconds=2.0)
    later = job_settings.model_copy(update={"raw_retention_hours": 0})
    assert await sweep_raw(real_services, later) == [ready_id]
    ready = await recording(real_services, ready_id)
    assert ready.raw_removed_at is not None
    assert not (job_settings.effective_media_root / ready.raw_path).exists()
    # not composed yet: kept whatever the retention
    waiting = await recording(real_services, waiting_id)
    assert track_paths(job_settings.effective_media_root / waiting.raw_path)
    # and a retry of a recording whose raw tracks are gone says so
    again = await queue.enqueue(COMPOSE, recording_id=ready_id)
    assert again.id is not None
    failed = await finished(queue.store, again.id)
    assert failed.state == JobState.FAILED and "no longer on disk" in failed.error
    assert (await recording(real_services, ready_id)).state == RecordingState.READY



async def test_composing_again_in_another_layout_keeps_the_ready_version_until_verified(
    real_services: Services, job_settings: Settings, queue: JobQueue
) -> None:
    from app.compose_job import compose_again
    from courses.errors import Conflict, InvalidInput
    from courses.models import Role
    from courses.recordings import RecordingNotReady
    from tests.factories.people import make_user

    admin = await make_user(real_services, Role.ADMIN)
    recording_id = await stopped_recording(real_services, job_settings)
    real_services.__dict__["jobs"] = queue  # the queue this test runs
    first = await queue.enqueue(COMPOSE, recording_id=recording_id)
    assert first.id is not None
    assert (await finished(queue.store, first.id)).state == JobState.SUCCEEDED
    before = await recording(real_services, recording_id)
    old_outputs = job_settings.effective_media_root / before.output_path
    assert before.layout == "grid" and old_outputs.is_dir()

    with pytest.raises(InvalidInput):
        await compose_again(real_services, recording_id, "mosaic", admin)
    again = await compose_again(real_services, recording_id, "speaker", admin)
    assert again.id is not None
    with pytest.raises(Conflict):  # one composition at a time
        await compose_again(real_services, recording_id, "grid", admin)
    meanwhile = await recording(real_services, recording_id)
    assert meanwhile.state == RecordingState.READY  # still served while it composes
    assert (await finished(queue.store, again.id)).state == JobState.SUCCEEDED
    after = await recording(real_services, recording_id)
    assert after.state == RecordingState.READY and after.layout == "speaker"
    assert after.output_path == f"recordings/{recording_id}/out-{again.id}"
    assert (job_settings.effective_media_root / after.output_path / "recording.mp4").is_file()
    assert not old_outputs.exists()  # the superseded version is gone

    await sweep_raw(real_services, job_settings.model_copy(update={"raw_retention_hours": 0}))
    with pytest.raises(RecordingNotReady, match="retention"):
        await compose_again(real_services, recording_id, "grid", admin)
