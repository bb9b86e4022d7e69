"""Cancelling composition kills FFmpeg and leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from bench.recordings import generate_recording
from media.compose import ComposeOptions, compose_recording

from .analysis import ffmpeg_children, folder_digest


def _alive(pid: int) -> bool:
    """Running, and not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status and os.path.exists(f"/proc/{pid}")


async def test_cancelling_kills_ffmpeg_and_cleans_up(tmp_path: Path, ffmpeg_path: str) -> None:
    raw = tmp_path / "raw"
    generate_recording(raw, seconds=15.0, participants=2, width=320, height=240,
                       ffmpeg=ffmpeg_path)
    before = folder_digest(raw)
    out = tmp_path / "out"
    stages: list[str] = []
    options = ComposeOptions(ffmpeg=ffmpeg_path, preset="slow", max_height=720)
    task = asyncio.create_task(compose_recording(raw, out, options,
                                                 lambda stage, _: stages.append(stage)))
    children: list[int] = []
    for _ in range(600):
        await asyncio.sleep(0.05)
        children = ffmpeg_children()
        if children and "compose" in stages:
            break
    assert children, "FFmpeg never started"
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the composition finished before it could be cancelled")
    assert ffmpeg_children() == []
    assert not any(_alive(pid) for pid in children)
    assert not out.exists()
    assert folder_digest(raw) == before


async def test_cancelling_while_reading(tmp_path: Path, ffmpeg_path: str) -> None:
    raw = tmp_path / "raw"
    generate_recording(raw, seconds=6.0, participants=2, width=160, height=120,
                       ffmpeg=ffmpeg_path)
    out = tmp_path / "out"
    task = asyncio.create_task(compose_recording(raw, out, ComposeOptions(ffmpeg=ffmpeg_path)))
    await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled() or task.done()
    assert ffmpeg_children() == [] and not out.exists()
