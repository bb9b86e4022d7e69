"""The poster: one representative frame as a JPEG (the first screen share, a second in, or
a tenth of the way through)."""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from .graph import finish_args
from .timeline import Stage


def poster_time(stage: Stage) -> float:
    shares = [v.visible[0].start for v in stage.videos if v.source == "screen" and v.visible]
    if shares:
        return min(min(shares) + 1.0, stage.duration * 0.95)
    return stage.duration * 0.1


def poster_command(ffmpeg_path: str, mp4: Path, at: float, output: Path,
                   graph_file: Path) -> list[str]:
    stream = ffmpeg.input(str(mp4), ss=f"{at:.3f}").video
    out = ffmpeg.output(stream, str(output), vframes=1, **{"q:v": 3, "f": "image2",
                                                           "update": 1})
    return finish_args(out.compile(cmd=ffmpeg_path), graph_file)
