"""Scale-out: a web process enqueues a real compose job through Redis (SAQ) and a separate
``rounds worker`` process (the Procfile's, started from the CLI) composes the recording it finds
under the shared media root; the rows in the shared database follow."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.compose_job import COMPOSE
from app.jobs import build_job_queue
from app.jobs.kinds import job_handlers
from app.jobs.redis_queue import SaqJobQueue
from app.settings import Settings
from app.wiring import build_services
from bench.recordings import generate_recording
from courses.models import JobState, Recording, RecordingState
from courses.recording_lifecycle import RecordingLifecycle
from tests.app.jobs.conftest import wait_for_state

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def web(redis_settings: Settings) -> AsyncIterator[SaqJobQueue]:
    services = build_services(redis_settings)
    queue = build_job_queue(redis_settings, services, job_handlers())
    assert isinstance(queue, SaqJobQueue)
    await queue.start()
    try:
        yield queue
    finally:
        await services.close()


def _rounds_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``rounds worker`` (the CLI entry point) in a process of its own."""
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_worker_process_composes_what_the_web_process_queued(
    web: SaqJobQueue, redis_settings: Settings, tmp_path: Path
) -> None:
    services = web.services
    async with services.unit() as unit:
        lifecycle = RecordingLifecycle(unit.session, unit.clock)
        row = await lifecycle.begin(room_id="activity-1", title="Over Redis",
                                    started_by_id=None, activity_id=None, layout="speaker")
        recording_id, raw_path = row.id, row.raw_path
    assert recording_id is not None
    generate_recording(redis_settings.effective_media_root / raw_path, seconds=3.0,
                       participants=2, width=320, height=240, fps=15)
    async with services.unit() as unit:
        await RecordingLifecycle(unit.session, unit.clock).stopped(recording_id,
                                                                   at=unit.clock.now())
    job = await web.enqueue(COMPOSE, recording_id=recording_id)
    assert job.id is not None

    env = {
        **os.environ,
        "ROUNDS_ENV": "test", "DATA_DIR": str(redis_settings.data_dir),
        "DATABASE_URL": redis_settings.effective_database_url,
        "REDIS_URL": redis_settings.redis_url, "MEDIA_JOB_QUEUE": redis_settings.media_job_queue,
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdefgh", "LOG_FORMAT": "json",
    }
    log = tmp_path / "worker.log"
    worker = _rounds_worker(env, log)
    try:
        done = await wait_for_state(web.store, job.id, JobState.SUCCEEDED, within=120)
    except AssertionError:
        raise AssertionError(log.read_text()[-3000:]) from None
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(worker.wait, 20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
    assert done.progress == 100.0 and done.worker.endswith(f":{worker.pid}")
    async with services.unit() as unit:
        recording = await unit.session.get(Recording, recording_id)
    assert recording is not None and recording.state == RecordingState.READY
    out = redis_settings.effective_media_root / recording.output_path
    assert (out / "recording.mp4").is_file() and (out / "hls" / "master.m3u8").is_file()
    assert '"event": "compose.finished"' in log.read_text()
