"""Checking the outputs before the raw recording may go: probe the MP4 with PyAV (codecs,
duration) and read every playlist of the ladder (segments present, total duration)."""

from __future__ import annotations

import av

from .errors import ComposeError
from .ladder import read_playlist
from .result import ComposeResult


def _fail(message: str) -> ComposeError:
    return ComposeError(message + " The raw recording is kept; run the job again.", "verify")


def verify_outputs(result: ComposeResult, expected_duration: float,
                   tolerance: float = 0.5) -> None:
    """Raise ``ComposeError`` unless the outputs are complete and as long as the session."""
    try:
        with av.open(str(result.mp4)) as container:
            video = container.streams.video[0] if container.streams.video else None
            audio = container.streams.audio[0] if container.streams.audio else None
            if video is None or video.codec_context.name != "h264":
                raise _fail(f"{result.mp4} has no H.264 video.")
            if audio is None or audio.codec_context.name != "aac":
                raise _fail(f"{result.mp4} has no AAC audio.")
            if container.duration is None:
                raise _fail(f"{result.mp4} does not say how long it is.")
            duration = container.duration / av.time_base
    except av.error.FFmpegError as exc:
        raise _fail(f"{result.mp4} cannot be read ({exc}).") from exc
    if abs(duration - expected_duration) > tolerance:
        raise _fail(f"{result.mp4} lasts {duration:.2f} s, not {expected_duration:.2f} s.")
    if not result.master_playlist.is_file():
        raise _fail(f"The master playlist {result.master_playlist} is missing.")
    master = result.master_playlist.read_text()
    for rendition in result.renditions:
        if not rendition.playlist.is_file():
            raise _fail(f"The {rendition.name} playlist {rendition.playlist} is missing.")
        if rendition.playlist.relative_to(result.master_playlist.parent).as_posix() not in master:
            raise _fail(f"The master playlist does not list the {rendition.name} rung.")
        facts = read_playlist(rendition.playlist)
        missing = [p for _, p in facts.segments if not p.is_file()]
        if missing or facts.init is None or not facts.init.is_file():
            raise _fail(f"The {rendition.name} rung is missing segments ({len(missing)}).")
        if not facts.ended or abs(facts.duration - expected_duration) > tolerance + 0.1:
            raise _fail(f"The {rendition.name} rung lasts {facts.duration:.2f} s, not "
                        f"{expected_duration:.2f} s.")
    if not result.poster.is_file() or result.poster.stat().st_size == 0:
        raise _fail(f"The poster {result.poster} is missing.")
    if not result.chapters_vtt.read_text().startswith("WEBVTT"):
        raise _fail(f"{result.chapters_vtt} is not WebVTT.")
