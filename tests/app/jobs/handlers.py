"""Job handlers for the tests: they do real asynchronous work, report progress, wait on a
gate file, fail a number of times, hang in a child process until cancelled, or run FFmpeg on
bad input. They talk to the test through files in the data folder, so that they work the
same in this process and in a worker process."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import imageio_ffmpeg

from app.jobs import JobContext, JobFailed, JobHandler
from app.jobs.processes import ProcessFailed, run_process


def job_file(ctx: JobContext, name: str) -> Path:
    folder = ctx.services.settings.data_dir / "job-files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{ctx.job_id}-{name}"


def note_attempt(ctx: JobContext) -> None:
    with job_file(ctx, "attempts").open("a") as out:
        out.write(f"{ctx.attempt} {time.time():.3f}\n")


async def wait_for_gate(ctx: JobContext) -> None:
    gate = job_file(ctx, "gate")
    while not gate.exists():  # noqa: ASYNC110 - a file, so that another process can open it
        await asyncio.sleep(0.02)


async def steps(ctx: JobContext) -> None:
    """Real work in small steps, reporting each."""
    note_attempt(ctx)
    for n in range(1, 5):
        await asyncio.sleep(0.02)
        await ctx.progress("stepping", n * 25)


async def gated(ctx: JobContext) -> None:
    """Half done, then waits for the test to open its gate."""
    note_attempt(ctx)
    await ctx.progress("first half", 50)
    await wait_for_gate(ctx)
    await ctx.progress("second half", 100)


async def flaky(ctx: JobContext) -> None:
    """Fails its first two attempts."""
    note_attempt(ctx)
    await asyncio.sleep(0.01)
    if ctx.attempt < 3:
        raise RuntimeError(f"flaky failure on attempt {ctx.attempt}")


async def broken(ctx: JobContext) -> None:
    note_attempt(ctx)
    raise RuntimeError("disk on fire")


async def doomed(ctx: JobContext) -> None:
    """Fails for good unless its 'fixed' file exists."""
    note_attempt(ctx)
    if not job_file(ctx, "fixed").exists():
        raise JobFailed("The recording has no video track: nothing to compose.")


async def hang(ctx: JobContext) -> None:
    """Starts a child that sleeps a minute and waits for it; notes its own cancellation."""
    note_attempt(ctx)
    pid_file = job_file(ctx, f"pid-{ctx.attempt}")
    try:
        await run_process(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"])
    except asyncio.CancelledError:
        job_file(ctx, "cancelled").write_text("yes")
        raise


async def hang_first(ctx: JobContext) -> None:
    """The first attempt hangs in a child process (its worker gets killed); later ones
    finish at once."""
    if ctx.attempt == 1:
        await ctx.progress("hanging", 10)
        await hang(ctx)
    note_attempt(ctx)
    await ctx.progress("done", 100)


async def ffmpeg_bad_input(ctx: JobContext) -> None:
    """Real FFmpeg on a file that does not exist: its error text becomes the job's."""
    note_attempt(ctx)
    missing = job_file(ctx, "missing-input.mkv")
    try:
        await run_process([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(missing),
                           "-f", "null", "-"])
    except ProcessFailed as exc:
        job_file(ctx, "message").write_text(str(exc))
        raise JobFailed(str(exc)) from exc


TEST_HANDLERS: dict[str, JobHandler] = {
    "steps": steps,
    "gated": gated,
    "flaky": flaky,
    "broken": broken,
    "doomed": doomed,
    "hang": hang,
    "hang_first": hang_first,
    "ffmpeg_bad": ffmpeg_bad_input,
}
