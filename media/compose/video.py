"""A video track as IVF files on the session clock, one per run of constant picture size.

FFmpeg cannot change a filter chain's input size mid-stream without rebuilding the whole
graph, so a resolution change (always at a keyframe) starts a new file, which the
composition scales into the same tile. Presentation times are session seconds, kept exact
(1/90000 s): FFmpeg's overlay rounds them to the output frame rate's time base, so each output
frame shows the source frame nearest to it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .clockmap import ClockMap
from .depacketizer import depacketizer_for
from .errors import Cancelled, ComposeError
from .frames import Assembly, iter_frames
from .ivf import TIMEBASE, IvfWriter
from .tracks import LoadedTrack


@dataclass(frozen=True, slots=True)
class VideoRun:
    track_id: str
    path: Path
    width: int
    height: int
    start: float
    """Session seconds of its first frame."""
    end: float
    """Session seconds of its last frame."""
    frames: int


@dataclass(slots=True)
class WrittenVideo:
    track_id: str
    participant_id: str
    source: str
    runs: list[VideoRun] = field(default_factory=list)
    frame_times: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    incomplete: int = 0
    skipped: int = 0

    @property
    def tallest(self) -> int:
        return max((r.height for r in self.runs), default=0)


def write_video_track(
    track: LoadedTrack,
    clocks: list[ClockMap],
    folder: Path,
    duration: float,
    cancel: threading.Event,
) -> WrittenVideo:
    header = track.header
    out = WrittenVideo(header.track_id, header.participant_id, header.source)
    if track.packets == 0:
        return out
    depacketizer = depacketizer_for(header.mime_type)
    if depacketizer is None:
        raise ComposeError(
            f"{_sentence(track.label)} is {header.mime_type}, which composition cannot "
            "read (VP8 and H.264 only). Move the file out of the tracks folder to compose "
            "the rest.",
            "video",
        )
    assembly = Assembly()
    times: list[float] = []
    writer: IvfWriter | None = None
    run_start = 0.0
    last = -np.inf
    size = (0, 0)
    try:
        for n, frame in enumerate(iter_frames(track, depacketizer, assembly)):
            if n % 1000 == 0 and cancel.is_set():
                raise Cancelled
            second = clocks[frame.epoch].second(frame.ext_timestamp)
            if second > duration or second <= last:
                continue
            if writer is None or (frame.keyframe and frame.size != size):
                if writer is not None:
                    writer.close()
                    out.runs.append(VideoRun(header.track_id, writer.path, *size, run_start,
                                             last, writer.frames))
                size = frame.size
                run_start = second
                writer = IvfWriter(folder / f"{header.track_id}-{len(out.runs)}.ivf",
                                   depacketizer.fourcc, *size)
            writer.write(round(second * TIMEBASE), frame.data)
            times.append(second)
            last = second
    finally:
        if writer is not None:
            writer.close()
    out.incomplete, out.skipped = assembly.incomplete, assembly.skipped
    if assembly.keyframes == 0:
        raise ComposeError(
            f"{_sentence(track.label)} has no keyframe in its {track.packets} packets, so "
            "none of its video can be decoded (the recorder asks for one when it starts; "
            "this publisher never sent one). The raw recording is kept; move this file out "
            "of the tracks folder to compose the rest without this video.",
            "video",
        )
    if writer is not None and writer.frames:
        out.runs.append(VideoRun(header.track_id, writer.path, *size, run_start, last,
                                 writer.frames))
    out.frame_times = np.asarray(times, dtype=np.float64)
    return out


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
