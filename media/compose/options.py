"""How to compose: the FFmpeg binary, the layout and the encoder settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Layout = Literal["presenter", "speaker", "grid"]

ProgressCallback = Callable[[str, float], None]
"""Called with the stage name and the overall percent (0..100), on the event loop."""


def default_ffmpeg() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass(frozen=True)
class ComposeOptions:
    ffmpeg: str = field(default_factory=default_ffmpeg)
    """Path of the ffmpeg binary (imageio-ffmpeg's bundled one unless a setting says otherwise)."""
    layout: Layout = "presenter"
    fps: int = 30
    max_height: int = 1080
    """The composed video is never taller than this (and the ladder never goes above it)."""
    preset: str = "veryfast"
    """The x264 preset, for the MP4 and the ladder's encoded rungs."""
    threads: int = 0
    """Encoder threads; 0 lets FFmpeg decide."""

    def __post_init__(self) -> None:
        if self.layout not in ("presenter", "speaker", "grid"):
            raise ValueError(f"unknown layout {self.layout!r}: presenter, speaker or grid")
        if not 1 <= self.fps <= 120:
            raise ValueError(f"fps must be between 1 and 120, not {self.fps}")
        if self.max_height < 144:
            raise ValueError(f"max_height must be at least 144, not {self.max_height}")
        if self.threads < 0:
            raise ValueError("threads must be 0 (automatic) or more")
