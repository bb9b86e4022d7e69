"""What handlers get: progress that is throttled but never lost at stage changes, and child
processes that report their output and die with the job."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import cast

import pytest

from app.jobs import JobContext
from app.jobs.context import PROGRESS_INTERVAL_SECONDS
from app.jobs.processes import ProcessFailed, run_process
from app.wiring import Services
from tests.app.jobs.conftest import gone


def _context(reported: list[tuple[str, float]], fail: bool = False) -> JobContext:
    async def report(stage: str, percent: float) -> None:
        if fail:
            raise ConnectionError("database unreachable")
        reported.append((stage, percent))

    return JobContext(job_id=7, kind="compose", recording_id=3, attempt=1,
                      services=cast(Services, None), report=report)


async def test_progress_is_throttled_except_at_stage_changes_and_the_end() -> None:
    reported: list[tuple[str, float]] = []
    ctx = _context(reported)
    await ctx.progress("decoding", 1)
    for n in range(2, 40):
        await ctx.progress("decoding", n)  # within the same second: remembered only
    await ctx.progress("encoding", 41)  # a new stage: written at once
    await ctx.progress("encoding", 42)
    await ctx.progress("encoding", 150)  # clamped, and 100 is always written
    await ctx.progress("encoding", -3)
    assert reported == [("decoding", 1.0), ("encoding", 41.0), ("encoding", 100.0)]
    assert ctx.percent == 0.0  # remembered, clamped
    await asyncio.sleep(PROGRESS_INTERVAL_SECONDS + 0.05)
    await ctx.progress("encoding", math.nan)  # keeps the last value
    assert reported[-1] == ("encoding", 0.0)


async def test_a_progress_write_that_fails_does_not_fail_the_job() -> None:
    ctx = _context([], fail=True)
    await ctx.progress("decoding", 5)  # logged, not raised
    assert ctx.stage == "decoding" and ctx.percent == 5.0


async def test_run_process_reports_lines_and_raises_with_the_whole_stderr(
    tmp_path: Path,
) -> None:
    lines: list[str] = []

    async def seen(line: str) -> None:
        lines.append(line)

    script = "printf 'frame=1\\rframe=2\\rdone\\n' >&2; printf 'fatal: bad input\\n' >&2; exit 3"
    with pytest.raises(ProcessFailed) as failed:
        await run_process(["sh", "-c", script], on_stderr_line=seen)
    assert lines == ["frame=1", "frame=2", "done", "fatal: bad input"]
    assert failed.value.returncode == 3
    assert str(failed.value) == "sh exited with status 3:\nframe=1\rframe=2\rdone\nfatal: bad input"
    finished = await run_process(["sh", "-c", script], check=False)
    assert finished.returncode == 3 and finished.stderr.endswith("fatal: bad input\n")


async def test_cancelling_run_process_kills_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    task = asyncio.create_task(
        run_process(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"]))
    while not (pid_file.exists() and pid_file.read_text().strip()):  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    pid = int(pid_file.read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await gone(pid, within=2)
