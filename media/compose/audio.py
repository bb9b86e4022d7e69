"""A participant's microphone as one WAV file on the session clock (48 kHz mono, 16-bit).

Each Opus packet is decoded with PyAV and its samples written where its RTP time falls on the
session clock; everything between (mute, loss, a late join, an early leave) is silence, so
the file starts at the session's start and FFmpeg only has to add the files up. Packets that
land within ``SNAP_SAMPLES`` of where the previous one ended are taken as contiguous, so the
rounding of a drifting clock never clicks; beyond that a gap is filled or an overlap cut.
"""

from __future__ import annotations

import threading
import wave
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import structlog

from .clockmap import ClockMap
from .errors import Cancelled
from .intervals import Interval, cover
from .tracks import LoadedTrack

log = structlog.get_logger(__name__)

RATE = 48_000
SNAP_SAMPLES = 96
"""2 ms: packets closer than this to contiguous are written contiguously."""
LEVEL_WINDOW = 0.5
"""Seconds per loudness value (for telling who speaks when the events do not say)."""
_FLUSH_SAMPLES = RATE * 10


@dataclass(slots=True)
class PlacedAudio:
    participant_id: str
    path: Path
    samples: int
    coverage: list[Interval]
    levels: npt.NDArray[np.float64]
    """RMS per ``LEVEL_WINDOW`` seconds, from the session's start."""
    undecodable: int = 0


@dataclass(slots=True)
class PcmTimeline:
    """Writes mono float blocks at sample positions to a 16-bit WAV, filling gaps with zeros."""

    path: Path
    limit: int
    """Samples in the session: nothing is written past it."""
    cursor: int = 0
    _pending: list[npt.NDArray[np.float32]] = field(default_factory=list)
    _pending_samples: int = 0
    _squares: list[float] = field(default_factory=list)
    _wav: wave.Wave_write | None = None

    def __post_init__(self) -> None:
        self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed in close()
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(RATE)

    def write(self, position: int, samples: npt.NDArray[np.float32]) -> None:
        if abs(position - self.cursor) <= SNAP_SAMPLES:
            position = self.cursor
        if position < self.cursor:
            samples = samples[self.cursor - position :]
            position = self.cursor
        samples = samples[: max(0, self.limit - position)]
        if samples.size == 0:
            return
        if position > self.cursor:
            self._append(np.zeros(position - self.cursor, dtype=np.float32))
        self._append(samples)

    def _append(self, block: npt.NDArray[np.float32]) -> None:
        self._pending.append(block)
        self._pending_samples += block.size
        self.cursor += block.size
        if self._pending_samples >= _FLUSH_SAMPLES:
            self._flush()

    def _flush(self) -> None:
        if not self._pending or self._wav is None:
            return
        block = np.concatenate(self._pending)
        self._pending.clear()
        self._pending_samples = 0
        start = self.cursor - block.size
        self._measure(start, block)
        pcm = np.clip(np.rint(block * 32767.0), -32768, 32767).astype("<i2")
        self._wav.writeframes(pcm.tobytes())

    def _measure(self, start: int, block: npt.NDArray[np.float32]) -> None:
        window = int(LEVEL_WINDOW * RATE)
        squares = block.astype(np.float64) ** 2
        sums = np.bincount((np.arange(block.size) + start) // window, weights=squares)
        first = start // window
        while len(self._squares) < sums.size:
            self._squares.append(0.0)
        for index in range(first, sums.size):
            self._squares[index] += float(sums[index])

    def close(self) -> npt.NDArray[np.float64]:
        """Finish the file; the RMS per level window."""
        self._flush()
        if self._wav is not None:
            self._wav.close()
            self._wav = None
        window = int(LEVEL_WINDOW * RATE)
        return np.sqrt(np.asarray(self._squares, dtype=np.float64) / window)


def _decoder(channels: int) -> av.AudioCodecContext:
    context = av.CodecContext.create("opus", "r")
    assert isinstance(context, av.AudioCodecContext)
    context.sample_rate = RATE
    context.layout = "stereo" if channels == 2 else "mono"
    return context


def _mono(frame: av.AudioFrame) -> npt.NDArray[np.float32]:
    data = frame.to_ndarray()
    if not frame.format.is_planar:
        data = data.reshape(-1, len(frame.layout.channels)).T
    if data.dtype.kind == "i":
        data = data.astype(np.float32) / 32768.0
    return np.asarray(data.mean(axis=0), dtype=np.float32)


def place_participant_audio(
    participant_id: str,
    tracks: list[tuple[LoadedTrack, list[ClockMap]]],
    path: Path,
    duration: float,
    cancel: threading.Event,
) -> PlacedAudio:
    """Decode the participant's audio tracks (in the order they start) into one WAV."""
    timeline = PcmTimeline(path, round(duration * RATE))
    times: list[npt.NDArray[np.float64]] = []
    undecodable = 0
    try:
        for track, clocks in sorted(tracks, key=lambda tc: _first_second(*tc)):
            payloads = track.payloads
            assert payloads is not None
            order = np.lexsort((track.ext_sequence, track.epoch))
            keep = np.r_[True, (np.diff(track.ext_sequence[order]) != 0)
                         | (np.diff(track.epoch[order]) != 0)]
            order = order[keep]
            seconds = np.empty(order.size, dtype=np.float64)
            for epoch, clock in enumerate(clocks):
                mask = track.epoch[order] == epoch
                seconds[mask] = clock.seconds(track.ext_timestamp[order][mask])
            times.append(seconds)
            decoder = _decoder(track.header.channels)
            for n, (index, second) in enumerate(zip(order.tolist(), seconds.tolist(),
                                                    strict=True)):
                if n % 500 == 0 and cancel.is_set():
                    raise Cancelled
                try:
                    frames = decoder.decode(av.Packet(payloads[index]))
                except av.error.FFmpegError:
                    undecodable += 1
                    continue
                position = round(second * RATE)
                for frame in frames:
                    samples = _mono(frame)
                    timeline.write(position, samples)
                    position += samples.size
    finally:
        levels = timeline.close()
    coverage = cover(np.concatenate(times) if times else np.empty(0), gap=1.0, tail=0.02)
    if undecodable:
        log.warning("compose.audio_undecodable", participant_id=participant_id,
                    packets=undecodable)
    return PlacedAudio(participant_id, path, timeline.cursor, coverage, levels, undecodable)


def _first_second(track: LoadedTrack, clocks: list[ClockMap]) -> float:
    if track.packets == 0:
        return float("inf")
    return clocks[int(track.epoch[0])].second(int(track.ext_timestamp[0]))
