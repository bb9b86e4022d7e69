"""What composition produced: typed records app/ stores and serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    start: float
    """Seconds from the start of the recording."""
    title: str


@dataclass(frozen=True)
class Rendition:
    """One rung of the HLS ladder."""

    name: str
    """``360p``, ``540p``, ``720p`` or ``1080p`` (or the MP4's own height)."""
    width: int
    height: int
    bitrate: int
    """Video bits per second: the rung's target on Apple's ladder (the copied top rung's too),
    or the MP4's own rate when its height is not on the ladder."""
    playlist: Path


@dataclass(frozen=True)
class ComposeResult:
    mp4: Path
    master_playlist: Path
    poster: Path
    chapters_vtt: Path
    chapters: list[Chapter]
    duration: float
    """Seconds: the session's length, from the manifest's start to its stop (or last packet)."""
    width: int
    height: int
    renditions: list[Rendition]
    stage_seconds: dict[str, float]
    """Wall-clock seconds each stage took: read, video, audio, compose, ladder, poster."""
