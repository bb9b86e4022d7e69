"""The "compose" media job: raw tracks in, verified MP4 + HLS ladder + poster out.

Runs in the worker (REDIS_URL set) or in the web process (embedded default). The recording's
row follows the job: processing while it runs, ready once the outputs are verified, failed
with the composer's message (FFmpeg's own error included) when it cannot be done. Raw tracks
are never touched here except by the retention rule, and only after verification.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import structlog

from app import notify
from app.jobs import JobContext, JobFailed
from app.settings import Settings
from app.webhooks.events import RECORDING_READY, publish_quietly, recording_ready_data
from app.wiring import Services
from courses.errors import Conflict
from courses.models import MediaJob, User
from courses.recording_lifecycle import ComposedOutputs, RecordingLifecycle, output_path_for
from media.compose import ComposeError, ComposeOptions, compose_recording, verify_outputs

log = structlog.get_logger(__name__)

COMPOSE = "compose"


async def compose(ctx: JobContext) -> None:
    """The job handler registered as "compose" (app/jobs/kinds.py)."""
    await ComposeJob(ctx.services, ctx.services.settings)(ctx)


class ComposeJob:
    def __init__(self, services: Services, settings: Settings) -> None:
        self.services = services
        self.settings = settings
        self.media_root = settings.effective_media_root

    async def __call__(self, ctx: JobContext) -> None:
        if ctx.recording_id is None:
            raise JobFailed("A compose job needs a recording.")
        recording_id = ctx.recording_id
        async with self.services.unit() as unit:
            recording = await RecordingLifecycle(unit.session, unit.clock).get(recording_id)
            raw_path, layout = recording.raw_path, recording.layout
            raw_removed = recording.raw_removed_at is not None
            # composed again in another layout, it was ready before: nobody is told twice
            first_ready = recording.verified_at is None
        raw_dir = self.media_root / raw_path
        if raw_removed or not raw_dir.is_dir():
            # a ready recording keeps its outputs and stays ready
            raise JobFailed(f"The raw tracks of recording {recording_id} are no longer on disk "
                            f"({raw_dir}); there is nothing to compose.")
        async with self.services.unit() as unit:
            await RecordingLifecycle(unit.session, unit.clock).composing(recording_id)
        out_path = output_path_for(recording_id, ctx.job_id)
        out_dir = self.media_root / out_path
        options = ComposeOptions(
            ffmpeg=self.settings.effective_ffmpeg,
            layout=layout if layout in ("presenter", "speaker", "grid") else "presenter",  # type: ignore[arg-type]
            preset=self.settings.compose_preset,
        )
        log.info("compose.started", recording_id=recording_id, job_id=ctx.job_id,
                 attempt=ctx.attempt, raw=str(raw_dir), out=str(out_dir))
        reporter = _Progress(ctx)
        try:
            result = await compose_recording(raw_dir, out_dir, options, reporter)
            await reporter.drain()
            await reporter.progress("verifying", 99.0)
            await asyncio.to_thread(verify_outputs, result, result.duration)
            await reporter.progress("done", 100.0)
        except ComposeError as exc:
            await asyncio.to_thread(shutil.rmtree, out_dir, True)
            await self._failed(recording_id, str(exc))
        except asyncio.CancelledError:
            # the queue may cancel again while this runs: a half-done write would leave the
            # database session in a bad way, so the clean-up is shielded
            await asyncio.shield(self._cancelled(recording_id, out_dir))
            raise
        except Exception as exc:
            await asyncio.to_thread(shutil.rmtree, out_dir, True)
            async with self.services.unit() as unit:
                await RecordingLifecycle(unit.session, unit.clock).failed(
                    recording_id, f"Composition failed unexpectedly: {exc}"
                )
            raise
        finally:
            await reporter.drain()
        chapters = [{"start": round(c.start, 3), "title": c.title} for c in result.chapters]
        async with self.services.unit() as unit:
            ready = await RecordingLifecycle(unit.session, unit.clock).composed(
                recording_id, ComposedOutputs(out_path, result.duration, chapters)
            )
        await publish_quietly(self.services, RECORDING_READY, recording_ready_data(ready))
        if first_ready:
            await notify.recording_ready(self.services, recording_id)
        await asyncio.to_thread(_remove_other_outputs, out_dir)
        log.info("compose.finished", recording_id=recording_id, job_id=ctx.job_id,
                 duration=round(result.duration, 2), renditions=len(result.renditions),
                 stage_seconds={k: round(v, 2) for k, v in result.stage_seconds.items()})
        await sweep_raw(self.services, self.settings)

    async def _cancelled(self, recording_id: int, out_dir: Path) -> None:
        await asyncio.to_thread(shutil.rmtree, out_dir, True)
        async with self.services.unit() as unit:
            await RecordingLifecycle(unit.session, unit.clock).failed(
                recording_id, "Composition was cancelled; retry it from the jobs page."
            )
        log.info("compose.cancelled", recording_id=recording_id)

    async def _failed(self, recording_id: int, message: str) -> None:
        async def write() -> None:
            async with self.services.unit() as unit:
                await RecordingLifecycle(unit.session, unit.clock).failed(recording_id, message)

        await asyncio.shield(write())
        log.warning("compose.failed", recording_id=recording_id, error=message[:500])
        raise JobFailed(message)


class _Progress:
    """The composer reports progress synchronously; the job's row is written asynchronously."""

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, stage: str, percent: float) -> None:
        task = asyncio.get_running_loop().create_task(self.progress(stage, percent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def progress(self, stage: str, percent: float) -> None:
        try:
            await self.ctx.progress(stage, max(0.0, min(100.0, percent)))
        except Exception:
            log.warning("compose.progress_not_saved", job_id=self.ctx.job_id, exc_info=True)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def compose_again(services: Services, recording_id: int, layout: object,
                        actor: User) -> MediaJob:
    """Queue a new composition of a recording (another layout, or after a failure) while its
    raw tracks are kept; refused while a job for it is unfinished."""
    busy = [j for j in await services.jobs.store.unfinished() if j.recording_id == recording_id]
    if busy:
        raise Conflict(f"Job {busy[0].id} is composing this recording already; wait for it, "
                       "or cancel it on the jobs page.")
    async with services.unit() as unit:
        await unit.recordings.choose_layout(recording_id, layout, actor)
    job = await services.jobs.enqueue(COMPOSE, recording_id=recording_id)
    log.info("compose.requested", recording_id=recording_id, job_id=job.id, layout=layout,
             user_id=actor.id)
    return job


def _remove_other_outputs(keep: Path) -> None:
    """Earlier attempts' folders of the same recording (failed or superseded)."""
    for folder in keep.parent.glob("out-*"):
        if folder != keep and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


async def sweep_raw(services: Services, settings: Settings) -> list[int]:
    """Remove the raw tracks of verified recordings older than the retention setting."""
    hours = settings.raw_retention_hours
    if hours < 0:
        return []
    removed: list[int] = []
    async with services.unit() as unit:
        cutoff = unit.clock.now() - timedelta(hours=hours)
        rows = await RecordingLifecycle(unit.session, unit.clock).raw_kept(verified_before=cutoff)
        due = [(r.id, r.raw_path) for r in rows if r.id is not None]
    for recording_id, raw_path in due:
        assert recording_id is not None
        folder = settings.effective_media_root / raw_path
        await asyncio.to_thread(shutil.rmtree, folder, True)
        async with services.unit() as unit:
            await RecordingLifecycle(unit.session, unit.clock).raw_removed(recording_id)
        log.info("recording.raw_removed", recording_id=recording_id, folder=str(folder),
                 retention_hours=hours)
        removed.append(recording_id)
    return removed
