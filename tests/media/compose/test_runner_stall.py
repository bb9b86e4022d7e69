"""An FFmpeg that stops making progress is killed and run once more; twice stuck, the
compose fails saying so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from media.compose.runner import FFmpegStalled, run_ffmpeg


def _script(marker: Path, runs_stuck: int) -> list[str]:
    """Stuck for its first ``runs_stuck`` runs, reporting the same position over and over as
    a deadlocked FFmpeg's main thread does; then it reports progress and ends."""
    body = (
        f'n=$(cat "{marker}" 2>/dev/null || echo 0); echo $((n + 1)) > "{marker}"; '
        f'if [ "$n" -lt {runs_stuck} ]; then '
        "while true; do echo frame=12; echo out_time_us=400000; echo progress=continue; "
        "sleep 0.1; done; fi; "
        "echo out_time_us=1000000; echo progress=end"
    )
    return ["sh", "-c", body]


def test_a_stalled_run_is_killed_and_run_again(tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    seen: list[float] = []
    asyncio.run(asyncio.wait_for(
        run_ffmpeg(_script(marker, 1), stage="compose", duration=1.0,
                   output=tmp_path / "out.mp4", on_progress=seen.append, stall_seconds=0.5),
        timeout=15))
    assert marker.read_text().strip() == "2"
    assert seen[-1] == 1.0


def test_stalling_twice_fails_with_a_clear_message(tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    with pytest.raises(FFmpegStalled, match=r"no progress for 0.5 s while writing out.mp4"):
        asyncio.run(asyncio.wait_for(
            run_ffmpeg(_script(marker, 2), stage="compose", duration=1.0,
                       output=tmp_path / "out.mp4", stall_seconds=0.5),
            timeout=15))
    assert marker.read_text().strip() == "2"


def test_a_slow_run_that_keeps_moving_is_left_alone(tmp_path: Path) -> None:
    body = ("for i in 1 2 3 4 5 6 7 8; do echo out_time_us=${i}00000; echo progress=continue; "
            "sleep 0.15; done; echo progress=end")
    asyncio.run(run_ffmpeg(["sh", "-c", body], stage="compose", duration=1.0,
                           output=tmp_path / "out.mp4", stall_seconds=0.5))
