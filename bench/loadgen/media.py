"""Pre-encoded media: a test clip encoded once per bench run, then only demuxed.

``prepare`` encodes ``testsrc2`` to VP8 (libvpx, realtime, constant target bitrate, a keyframe
every 2 s, 30 fps) at 1280x720 and 640x360, and a sine tone to Opus in 20 ms frames, with the
FFmpeg binary that imageio-ffmpeg bundles. ``load_clip`` reads a file back with PyAV, demux
only, into memory as ``(bytes, is_keyframe)`` frames that publishers loop.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

VIDEO_FPS = 30
VIDEO_CLOCK = 90_000
AUDIO_FRAME_SECONDS = 0.02
AUDIO_CLOCK = 48_000
KEYFRAME_SECONDS = 2


@dataclass(frozen=True, slots=True)
class Rendition:
    """One video rendition the bench publishes."""

    name: str
    width: int
    height: int
    bitrate: int
    """Bits per second."""


RENDITIONS = {
    "720p": Rendition("720p", 1280, 720, 1_500_000),
    "360p": Rendition("360p", 640, 360, 500_000),
}
AUDIO_BITRATE = 32_000


@dataclass(frozen=True, slots=True)
class Clip:
    """Encoded frames in decode order and where the keyframes are."""

    frames: tuple[bytes, ...]
    keyframes: tuple[int, ...]

    @property
    def bytes_total(self) -> int:
        return sum(len(f) for f in self.frames)

    def next_keyframe(self, position: int) -> int:
        """The first keyframe at or after ``position`` (wrapping round to the first)."""
        for index in self.keyframes:
            if index >= position:
                return index
        return self.keyframes[0] if self.keyframes else 0


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def video_command(
    rendition: Rendition, seconds: float, out: Path, keyframe_seconds: float = KEYFRAME_SECONDS
) -> list[str]:
    kbps = rendition.bitrate // 1000
    gop = str(max(1, round(VIDEO_FPS * keyframe_seconds)))
    return [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i",
        f"testsrc2=size={rendition.width}x{rendition.height}:rate={VIDEO_FPS}",
        "-t", f"{seconds:g}", "-pix_fmt", "yuv420p",
        "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-threads", "2",
        "-b:v", f"{kbps}k", "-minrate", f"{kbps}k", "-maxrate", f"{kbps}k",
        "-bufsize", f"{kbps}k",
        "-g", gop, "-keyint_min", gop,
        "-auto-alt-ref", "0", "-lag-in-frames", "0", "-error-resilient", "1",
        "-f", "webm", str(out),
    ]


def audio_command(seconds: float, out: Path) -> list[str]:
    return [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", f"{seconds:g}", "-ac", "2",
        "-c:a", "libopus", "-b:a", str(AUDIO_BITRATE), "-frame_duration", "20",
        "-application", "voip", "-f", "ogg", str(out),
    ]


def start_encoding(
    directory: Path, renditions: list[str], seconds: float,
    keyframe_seconds: float = KEYFRAME_SECONDS,
) -> tuple[dict[str, Path], list[subprocess.Popen[bytes]]]:
    """Start the encodes (in parallel) and return the paths they will write and the
    processes; ``finish_encoding`` waits for them."""
    paths: dict[str, Path] = {"opus": directory / "audio.ogg"}
    commands = [audio_command(seconds, paths["opus"])]
    for name in renditions:
        paths[name] = directory / f"video-{name}.webm"
        commands.append(
            video_command(RENDITIONS[name], seconds, paths[name], keyframe_seconds)
        )
    processes = [
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
        for command in commands
    ]
    return paths, processes


def finish_encoding(processes: list[subprocess.Popen[bytes]], timeout: float = 120.0) -> None:
    try:
        for process in processes:
            _, err = process.communicate(timeout=timeout)
            if process.returncode != 0:
                raise RuntimeError(f"ffmpeg failed: {err.decode(errors='replace')[-500:]}")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def load_clip(path: Path) -> Clip:
    """Demux (never decode) every non-empty packet of the file's first stream."""
    import av

    frames: list[bytes] = []
    keyframes: list[int] = []
    with av.open(str(path)) as container:
        stream = container.streams[0]
        for packet in container.demux(stream):
            if not packet.size:
                continue
            if packet.is_keyframe:
                keyframes.append(len(frames))
            frames.append(bytes(packet))
    if not frames:
        raise RuntimeError(f"no packets in {path}")
    return Clip(tuple(frames), tuple(keyframes))
