"""Lip sync on FFmpeg's avsynctest (a flash with every beep) after composition.

The camera's frames reach the SFU 100 ms after capture (encoder and pacer) while the
microphone's take 32 ms, so placing each track by its own arrival times alone would show the
flash about 70 ms after the beep; the sender reports must bring them back within EBU R37
(audio at most 40 ms early, 60 ms late).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from bench.recordings import generate_recording
from media.compose import ComposeOptions, compose_recording
from media.compose.layout import Rect, fit

from .analysis import decode_audio, luma, video_frames


def _flashes(mp4: Path, tile: Rect) -> list[float]:
    means = [(t, float(luma(f)[tile.y : tile.y + tile.h, tile.x : tile.x + tile.w].mean()))
             for t, f in video_frames(mp4)]
    base = float(np.median([m for _, m in means]))
    return [t for t, m in means if m > base + 10 and t > 1.0]


def _beeps(mp4: Path) -> list[float]:
    samples, rate, start = decode_audio(mp4)
    block = rate // 1000
    envelope = np.abs(samples[: samples.size // block * block]).reshape(-1, block).max(axis=1)
    loud = envelope > 0.5 * envelope.max()
    onsets = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    out: list[float] = []
    for onset in onsets:  # the first onset of each beep
        t = start + onset * block / rate
        if not out or t - out[-1] > 0.5:
            out.append(t)
    return out


def test_beeps_and_flashes_stay_within_ebu_r37(tmp_path: Path, ffmpeg_path: str) -> None:
    generate_recording(tmp_path / "raw", seconds=9.5, participants=1, width=320, height=240,
                       ffmpeg=ffmpeg_path, avsync=0, video_delay=0.1, jitter=0.01)
    result = asyncio.run(compose_recording(
        tmp_path / "raw", tmp_path / "out",
        ComposeOptions(ffmpeg=ffmpeg_path, layout="speaker", max_height=360)))
    assert [r.name for r in result.renditions] == ["360p"]
    flashes = _flashes(result.mp4, fit(320, 240, Rect(0, 0, 640, 360)))
    beeps = _beeps(result.mp4)
    assert len(flashes) == 3  # at 3, 6 and 9 s
    for flash in flashes:
        beep = min(beeps, key=lambda b: abs(b - flash))
        offset_ms = (beep - flash) * 1000  # negative: the sound comes first
        assert -40.0 <= offset_ms <= 60.0, (flash, beep)
