"""The composition as one FFmpeg command, built with ffmpeg-python.

Video: a background of the canvas size at the output frame rate, placeholder boxes drawn on
it, and each source overlaid where the edit list puts it. Rather than cutting the timeline
into pieces (which would make FFmpeg buffer every frame of a source meant for a later
piece), every source is decoded once and overlaid for the whole run, switched on and moved
by time expressions: ``enable`` and ``x``/``y`` are sums of ``inside(a, b) * value`` terms. A
source needs one scaled copy per tile size it appears at; memory stays bounded because every
branch moves through time at the same pace. Segment edges sit half a frame before an output
frame, so an output frame is never on an edge (the expressions avoid commas, which
ffmpeg-python does not escape).

Audio: each participant's WAV already starts at the session's start, so the mix is a plain
``amix`` (``normalize=0``: no level jumps when people come and go), then a limiter whose
lookahead delay is compensated (``latency=1``; auto-level off), padded to the full length.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from .editlist import Segment
from .intervals import Interval, normalize
from .layout import Rect, fit
from .video import VideoRun

BACKGROUND = "0x16191d"
PLACEHOLDER = "0x2c3138"
AVATAR = "0x454c56"
AUDIO_BITRATE = "96k"
LIMIT = 0.891
"""-1 dBFS."""
CRF = 21
MAXRATE = {360: 730_000, 540: 2_000_000, 720: 3_000_000, 1080: 4_500_000}
INLINE_GRAPH_LIMIT = 100_000
"""Longer graphs go through a file: Linux caps one argument at 128 KiB."""


@dataclass(frozen=True, slots=True)
class Placement:
    start: float
    end: float
    rect: Rect
    """Where the (fitted) picture goes."""


def _edge(t: float, fps: int) -> float:
    """The half-frame point just before the first output frame at or after ``t``."""
    return (math.ceil(t * fps - 1e-6) - 0.5) / fps


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _inside(start: float, end: float) -> str:
    """1 while ``start < t < end``, else 0 (``t`` is never on an edge)."""
    if math.isinf(end):
        return f"(1+sgn(t-{_num(start)}))/2" if start > 0 else "1"
    if start < 0:
        return f"(1+sgn({_num(end)}-t))/2"
    return f"(1+sgn((t-{_num(start)})*({_num(end)}-t)))/2"


def enable_expression(spans: list[Interval]) -> str:
    return "+".join(_inside(s.start, s.end) for s in spans)


def position_expression(spans: list[tuple[Interval, int]]) -> str:
    values = {v for _, v in spans}
    if len(values) == 1:
        return str(values.pop())
    return "+".join(f"{_inside(s.start, s.end)}*{v}" for s, v in spans if v)


def placements(
    runs: list[VideoRun], segments: list[Segment], fps: int
) -> dict[int, list[Placement]]:
    """For each run (by index), where and when it is shown, on half-frame edges."""
    out: dict[int, list[Placement]] = defaultdict(list)
    by_track: dict[str, list[int]] = defaultdict(list)
    for index, run in enumerate(runs):
        by_track[run.track_id].append(index)
    for indices in by_track.values():
        indices.sort(key=lambda i: runs[i].start)
        for n, index in enumerate(indices):
            run = runs[index]
            window_start = run.start if n else -math.inf
            window_end = runs[indices[n + 1]].start if n + 1 < len(indices) else math.inf
            for segment in segments:
                for tile in segment.tiles:
                    if tile.track_id != run.track_id:
                        continue
                    start = max(segment.start, window_start)
                    end = min(segment.end, window_end)
                    a, b = _edge(start, fps), _edge(end, fps)
                    if b <= a:
                        continue
                    rect = fit(run.width, run.height, tile.rect)
                    items = out[index]
                    if items and items[-1].rect == rect and abs(items[-1].end - a) < 1e-9:
                        items[-1] = Placement(items[-1].start, b, rect)
                    else:
                        items.append(Placement(a, b, rect))
    return out


def placeholder_spans(segments: list[Segment], fps: int) -> dict[Rect, list[Interval]]:
    spans: dict[Rect, list[Interval]] = defaultdict(list)
    for segment in segments:
        for tile in segment.tiles:
            if tile.track_id is None:
                a, b = _edge(segment.start, fps), _edge(segment.end, fps)
                if b > a:
                    spans[tile.rect].append(Interval(a, b))
    return {rect: normalize(items) for rect, items in spans.items()}


def _open_ended(spans: list[Interval], duration: float, fps: int) -> list[Interval]:
    """The last span, if it reaches the end, left open (one term fewer to evaluate)."""
    if spans and spans[-1].end >= _edge(duration, fps) - 1e-9:
        spans = [*spans[:-1], Interval(spans[-1].start, math.inf)]
    if spans and spans[0].start <= _edge(0.0, fps) + 1e-9 and math.isinf(spans[0].end):
        return []  # always on
    return spans


def compose_command(
    *,
    ffmpeg_path: str,
    runs: list[VideoRun],
    wavs: list[Path],
    segments: list[Segment],
    width: int,
    height: int,
    fps: int,
    duration: float,
    preset: str,
    threads: int,
    chapters: Path,
    graph_file: Path,
    output: Path,
) -> list[str]:
    """The full argument list; the filter graph is also written to ``graph_file``, which
    FFmpeg reads (``-/filter_complex``) when a long recording's graph outgrows a command
    line."""
    length = _num(duration)
    video = ffmpeg.input(
        f"color=c={BACKGROUND}:s={width}x{height}:r={fps}:d={length}", f="lavfi"
    ).video
    for rect, spans in sorted(placeholder_spans(segments, fps).items()):
        enable = enable_expression(_open_ended(spans, duration, fps)) or "1"
        side = max(2, min(rect.w, rect.h) // 3 // 2 * 2)
        video = video.filter("drawbox", x=rect.x, y=rect.y, w=rect.w, h=rect.h,
                             color=PLACEHOLDER, t="fill", enable=enable)
        video = video.filter("drawbox", x=rect.x + (rect.w - side) // 2,
                             y=rect.y + (rect.h - side) // 2, w=side, h=side, color=AVATAR,
                             t="fill", enable=enable)
    shown = placements(runs, segments, fps)
    for index, run in enumerate(runs):
        items = shown.get(index)
        if not items:
            continue
        by_size: dict[tuple[int, int], list[Placement]] = defaultdict(list)
        for item in items:
            by_size[(item.rect.w, item.rect.h)].append(item)
        source = ffmpeg.input(str(run.path), f="ivf").video
        branches = source.split() if len(by_size) > 1 else None
        for n, ((w, h), group) in enumerate(sorted(by_size.items())):
            branch = branches[n] if branches is not None else source
            scaled = branch.filter("scale", w, h).filter("setsar", "1")
            spans = [Interval(p.start, p.end) for p in group]
            options = {
                "x": position_expression([(Interval(p.start, p.end), p.rect.x) for p in group]),
                "y": position_expression([(Interval(p.start, p.end), p.rect.y) for p in group]),
                "eof_action": "pass",
            }
            enable = enable_expression(_open_ended(spans, duration, fps))
            if enable:
                options["enable"] = enable
            video = ffmpeg.filter([video, scaled], "overlay", **options)
    video = video.filter("format", "yuv420p")

    if wavs:
        sounds = [ffmpeg.input(str(path)).audio for path in wavs]
        mixed = sounds[0] if len(sounds) == 1 else ffmpeg.filter(
            sounds, "amix", inputs=len(sounds), normalize=0, duration="longest",
            dropout_transition=0)
    else:
        mixed = ffmpeg.input(f"anullsrc=r=48000:cl=mono:d={length}", f="lavfi").audio
    audio = (mixed.filter("alimiter", limit=LIMIT, level=0, latency=1, attack=5, release=50)
             .filter("apad", whole_dur=length))

    gop = 2 * fps
    rate = MAXRATE.get(height, MAXRATE[720] if height <= 720 else MAXRATE[1080])
    stream = ffmpeg.output(
        video, audio, str(output),
        **{
            "c:v": "libx264", "preset": preset, "crf": CRF, "maxrate": rate,
            "bufsize": 2 * rate, "g": gop, "keyint_min": gop, "sc_threshold": 0,
            "pix_fmt": "yuv420p", "profile:v": "high", "r": fps, "fps_mode": "cfr",
            "c:a": "aac", "b:a": AUDIO_BITRATE, "ac": 1, "ar": 48000,
            "movflags": "+faststart", "t": length, "threads": threads,
            "f": "mp4",
        },
    )
    args: list[str] = stream.compile(cmd=ffmpeg_path)
    return finish_args(args, graph_file, extra_input=("ffmetadata", chapters), copyts=True)


def finish_args(
    args: list[str],
    graph_file: Path,
    *,
    extra_input: tuple[str, Path] | None = None,
    copyts: bool = False,
) -> list[str]:
    """Global options first, the graph moved into a file, and an input ffmpeg-python cannot
    express (the chapters' metadata, mapped with ``-map_chapters``) added after the others.
    ``copyts`` keeps every input's own timestamps: the video files start when their track
    did, on the session clock, and must not be moved to zero."""
    args = list(args)
    if "-filter_complex" in args:
        at = args.index("-filter_complex")
        graph_file.write_text(args[at + 1])
        if len(args[at + 1]) > INLINE_GRAPH_LIMIT:  # FFmpeg 7 and later read it from the file
            args[at : at + 2] = ["-/filter_complex", str(graph_file)]
    if extra_input is not None:
        inputs = sum(1 for a in args if a == "-i")
        last = max(i for i, a in enumerate(args) if a == "-i") + 2
        kind, path = extra_input
        args[last:last] = ["-f", kind, "-i", str(path)]
        out_at = len(args) - 1
        args[out_at:out_at] = ["-map_chapters", str(inputs)]
    return [args[0], "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats",
            "-progress", "pipe:1", *(["-copyts"] if copyts else []), *args[1:]]
