"""H.264 with a resolution change and a missed first keyframe; a recording cut by kill -9."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import numpy as np

from bench.recordings import generate_recording
from media.compose import ComposeOptions, compose_recording, verify_outputs
from media.compose.clockmap import map_tracks
from media.compose.layout import Rect, fit
from media.compose.tracks import load_track
from media.compose.video import write_video_track
from media.recording.format import read_manifest, track_paths

from .analysis import luma, video_frames


def test_h264_camera_changing_size_after_a_missed_keyframe(tmp_path: Path,
                                                            ffmpeg_path: str) -> None:
    info = generate_recording(tmp_path / "raw", seconds=8.0, participants=1, width=320,
                              height=240, ffmpeg=ffmpeg_path, video_codec="h264",
                              missing_keyframes={0: 1}, resize=(0, 4.5))
    camera = info.participants[0].tracks["camera"].path
    track = load_track(camera, keep_payloads=True)
    clocks = map_tracks([track], read_manifest(info.directory)["started_at"])[camera]
    (tmp_path / "ivf").mkdir()
    written = write_video_track(track, clocks, tmp_path / "ivf", 8.0, threading.Event())
    assert [(r.width, r.height) for r in written.runs] == [(320, 240), (160, 120)]
    assert 1.9 < written.runs[0].start < 2.2  # the first keyframe was missed: from the second
    assert 5.9 < written.runs[1].start < 6.2  # the next keyframe after 4.5 s
    assert written.skipped > 50

    result = asyncio.run(compose_recording(
        info.directory, tmp_path / "out",
        ComposeOptions(ffmpeg=ffmpeg_path, layout="speaker", max_height=360)))
    verify_outputs(result, 8.0)
    tile = fit(320, 240, Rect(0, 0, 640, 360))
    spread = {}
    for t, frame in video_frames(result.mp4):
        if any(abs(t - at) < 0.02 for at in (1.0, 3.0, 7.0)):
            top = luma(frame)[tile.y + 8 : tile.y + tile.h // 4, tile.x + 8 : tile.x + tile.w - 8]
            spread[round(t)] = float(top.std())  # flat above a placeholder's avatar
    assert spread[1] < 5 < 20 < spread[3] and spread[7] > 20  # placeholder, then video


def test_a_recording_cut_by_kill_9_still_composes(tmp_path: Path, ffmpeg_path: str) -> None:
    raw = tmp_path / "raw"
    generate_recording(raw, seconds=7.0, participants=2, width=320, height=240,
                       ffmpeg=ffmpeg_path, crash=True)
    for path in track_paths(raw):  # each file ends inside a record
        data = path.read_bytes()
        path.write_bytes(data[: len(data) - 7])
    (raw / "tracks" / "TR_new_since_last_flush.rtp").write_bytes(b"")
    with open(raw / "events.jsonl", "a") as fh:
        fh.write('{"t": 17650')  # half a line
    assert "stopped_at" not in json.loads((raw / "manifest.json").read_text())
    result = asyncio.run(compose_recording(
        raw, tmp_path / "out", ComposeOptions(ffmpeg=ffmpeg_path, max_height=360)))
    assert 6.8 < result.duration < 7.2  # to the last packet
    verify_outputs(result, result.duration)
    assert np.isfinite(result.duration)
