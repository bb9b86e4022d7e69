"""kill -9 of the server mid-recording: the raw files up to about the last second are usable,
and they compose."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import imageio_ffmpeg

from media.compose import ComposeOptions, compose_recording, verify_outputs
from media.recording.format import read_events, read_manifest, read_track, track_paths

from .media_checks import keyframes, longest_gap

ROOT = Path(__file__).resolve().parents[3]


async def test_a_killed_server_leaves_files_usable_up_to_the_last_second(tmp_path: Path) -> None:
    directory = tmp_path / "rec"
    stderr_path = tmp_path / "stderr.txt"
    stderr = os.open(stderr_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.media.recording.crash_child", str(directory),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=stderr,
        )
    finally:
        os.close(stderr)
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 60
        while True:
            line = await asyncio.wait_for(child.stdout.readline(), deadline - time.monotonic())
            assert line, f"the child died: {stderr_path.read_text()[-3000:]}"
            if line.strip() == b"recording":
                break
        await asyncio.sleep(0.7)  # somewhere between two flushes
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
        assert await asyncio.wait_for(child.wait(), 10) == -signal.SIGKILL
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()

    manifest = read_manifest(directory)
    assert manifest["recording_id"] == "crash-1" and "stopped_at" not in manifest
    started_at = manifest["started_at"]
    tracks = [read_track(path) for path in track_paths(directory)]  # a cut tail is tolerated
    assert sorted((t.header.participant_id, t.header.source) for t in tracks) == [
        ("alice", "camera"), ("alice", "microphone"), ("bob", "microphone")]
    last = max(t.packets[-1].arrival for t in tracks)
    assert killed_at - 1.5 < last < killed_at  # a kill -9 loses at most about a second
    for track in tracks:
        packets = track.packets
        assert packets[0].arrival - started_at < 1.0
        assert killed_at - packets[-1].arrival < 1.5
        assert longest_gap(packets) < 1.0
        assert track.sender_reports
        if track.header.kind == "video":
            assert keyframes(track)[0].arrival - packets[0].arrival < 1.0
    log = read_events(directory)
    assert log[0]["type"] == "recording_started"
    assert {e["type"] for e in log} >= {"participant_joined", "track_published", "active_speaker"}
    assert all(started_at <= e["t"] < killed_at for e in log)

    # and the compose job can run on what was saved: an MP4 as long as what was recorded
    result = await compose_recording(
        directory, tmp_path / "out",
        ComposeOptions(ffmpeg=imageio_ffmpeg.get_ffmpeg_exe(), layout="grid", max_height=360))
    verify_outputs(result, last - started_at)
    assert abs(result.duration - (last - started_at)) < 0.5
