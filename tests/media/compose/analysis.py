"""Measuring composed outputs with PyAV and numpy: tone levels, flashes and beeps, PSNR."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]


def decode_audio(path: Path) -> tuple[npt.NDArray[np.float64], int, float]:
    """Mono samples, their rate, and the time of the first one."""
    chunks = []
    start: float | None = None
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        for frame in container.decode(stream):
            if start is None:
                start = float(frame.time or 0.0)
            data = frame.to_ndarray().astype(np.float64)
            if not frame.format.is_planar:
                data = data.reshape(-1, len(frame.layout.channels)).T
            chunks.append(data.mean(axis=0))
    return np.concatenate(chunks), rate, start or 0.0


def tone_level_db(samples: npt.NDArray[np.float64], rate: int, start: float,
                  frequency: float, t0: float, t1: float) -> float:
    """The amplitude (dBFS) of a sine at ``frequency`` between ``t0`` and ``t1``."""
    block = samples[max(0, round((t0 - start) * rate)) : round((t1 - start) * rate)]
    window = np.hanning(block.size)
    spectrum = np.abs(np.fft.rfft(block * window)) * 2 / window.sum()
    bin_hz = rate / block.size
    k = round(frequency / bin_hz)
    amplitude = float(spectrum[max(0, k - 2) : k + 3].max())
    return float(20 * np.log10(max(amplitude, 1e-9)))


def video_frames(path: Path) -> Iterator[tuple[float, av.VideoFrame]]:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield float(frame.time or 0.0), frame


def luma(frame: av.VideoFrame) -> Gray:
    return np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8)


def resize(image: Gray, width: int, height: int) -> Gray:
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="gray")
    scaled = frame.reformat(width=width, height=height, interpolation="BICUBIC")
    return np.asarray(scaled.to_ndarray(), dtype=np.uint8)


def psnr(a: Gray, b: Gray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255.0**2 / error))


def folder_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path) with its SHA-256 and mode."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(folder))] = f"{digest}:{path.stat().st_mode:o}"
    return out


def ffmpeg_children() -> list[int]:
    """Live FFmpeg processes whose parent is this process."""
    found = []
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        ours = fields.get("PPid", "").strip() == me and b"ffmpeg" in cmdline.split(b"\0")[0]
        if ours and not fields.get("State", "").startswith("Z"):
            found.append(int(entry.name))
    return found
