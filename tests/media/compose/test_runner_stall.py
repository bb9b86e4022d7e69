"""An FFmpeg that stops making progress is killed and run once more; twice stuck, the
compose fails saying so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from media.compose.runner import FFmpegStalled, run_ffmpeg


def _script(marker: Path, runs_stuck: int) -> list[str]:
    """Stuck (silent, sleeping) for its first ``runs_stuck`` runs, then reports and ends."""
    body = (
        f'n=$(cat "{marker}" 2>/dev/null || echo 0); echo $((n + 1)) > "{marker}"; '
        f'if [ "$n" -lt {runs_stuck} ]; then exec sleep 30; fi; '
        "echo out_time_us=1000000; echo progress=end"
    )
    return ["sh", "-c", body]


def test_a_stalled_run_is_killed_and_run_again(tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    seen: list[float] = []
    asyncio.run(run_ffmpeg(_script(marker, 1), stage="compose", duration=1.0,
                           output=tmp_path / "out.mp4", on_progress=seen.append,
                           stall_seconds=0.5))
    assert marker.read_text().strip() == "2"
    assert seen == [1.0]


def test_stalling_twice_fails_with_a_clear_message(tmp_path: Path) -> None:
    marker = tmp_path / "runs"
    with pytest.raises(FFmpegStalled, match=r"no progress for 0.5 s while writing out.mp4"):
        asyncio.run(run_ffmpeg(_script(marker, 2), stage="compose", duration=1.0,
                               output=tmp_path / "out.mp4", stall_seconds=0.5))
    assert marker.read_text().strip() == "2"
