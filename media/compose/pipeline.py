"""``compose_recording``: a raw recording folder in, the MP4, the HLS ladder, a poster and
chapters out.

Blocking work (parsing, depacketizing, Opus decoding) runs in a thread so the event loop stays
free; FFmpeg runs as a child process. Cancelling the task stops the thread at its next check,
kills FFmpeg and removes what was written so far. The raw folder is only ever read.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import av
import structlog

from .chapters import to_ffmetadata, to_json, to_webvtt
from .errors import Cancelled, ComposeError
from .graph import compose_command
from .ladder import MASTER, PLAYLIST, ladder_command, plan_ladder, write_master
from .options import ComposeOptions, ProgressCallback
from .poster import poster_command, poster_time
from .prepare import Prepared, prepare
from .result import ComposeResult, Rendition
from .runner import os_error, run_ffmpeg

log = structlog.get_logger(__name__)

MP4 = "recording.mp4"
POSTER = "poster.jpg"
CHAPTERS_JSON = "chapters.json"
CHAPTERS_VTT = "chapters.vtt"
HLS = "hls"
WORK = ".compose-work"
OUTPUTS = (MP4, POSTER, CHAPTERS_JSON, CHAPTERS_VTT, HLS, WORK)

# Share of the overall percent each stage covers, in order.
WEIGHTS = {"read": 3.0, "video": 5.0, "audio": 6.0, "compose": 58.0, "ladder": 25.0,
           "poster": 3.0}

T = TypeVar("T")


class _Progress:
    """Turns (stage, fraction of stage) into the caller's (stage, overall percent), on the
    event loop, never going backwards."""

    def __init__(self, callback: ProgressCallback | None,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.callback = callback
        self.loop = loop
        self.last = -1.0

    def overall(self, stage: str, fraction: float) -> float:
        before = 0.0
        for name, weight in WEIGHTS.items():
            if name == stage:
                return before + weight * min(max(fraction, 0.0), 1.0)
            before += weight
        return 100.0

    def __call__(self, stage: str, fraction: float) -> None:
        percent = round(self.overall(stage, fraction), 1)
        if self.callback is None or percent <= self.last:
            return
        self.last = percent
        self.callback(stage, percent)

    def from_thread(self, stage: str, fraction: float) -> None:
        self.loop.call_soon_threadsafe(self, stage, fraction)


async def _in_thread(function: Callable[[], T], cancel: threading.Event) -> T:
    """Run ``function`` in a thread; if the awaiting task is cancelled, tell the thread to
    stop and wait until it has, so that nothing writes after the clean-up."""
    task = asyncio.ensure_future(asyncio.to_thread(function))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        cancel.set()
        with contextlib.suppress(BaseException):
            await task
        raise


def _folders(raw_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """Both folders made absolute; refused if one holds the other."""
    raw_dir = Path(raw_dir).resolve()
    out_dir = Path(out_dir).absolute()
    resolved = out_dir.resolve()
    if resolved == raw_dir or raw_dir in resolved.parents or resolved in raw_dir.parents:
        raise ComposeError(
            f"The output folder {out_dir} overlaps the raw recording {raw_dir}; give "
            "composition a folder of its own so the raw files stay untouched.", "read")
    return raw_dir, out_dir


def _remove_outputs(out_dir: Path, created: bool) -> None:
    for name in OUTPUTS:
        path = out_dir / name
        with contextlib.suppress(OSError):
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
    if created:
        with contextlib.suppress(OSError):
            out_dir.rmdir()


async def _compose_mp4(prepared: Prepared, out_dir: Path, work: Path,
                       options: ComposeOptions, report: _Progress) -> Path:
    duration = prepared.duration
    (out_dir / CHAPTERS_JSON).write_text(to_json(prepared.chapters, duration))
    (out_dir / CHAPTERS_VTT).write_text(to_webvtt(prepared.chapters, duration))
    metadata = work / "chapters.ffmeta"
    metadata.write_text(to_ffmetadata(prepared.chapters, duration))
    mp4 = out_dir / MP4
    args = compose_command(
        ffmpeg_path=options.ffmpeg, runs=prepared.runs, wavs=prepared.wavs,
        segments=prepared.segments, width=prepared.width, height=prepared.height,
        fps=options.fps, duration=duration, preset=options.preset, threads=options.threads,
        chapters=metadata, graph_file=work / "compose.graph", output=mp4,
    )
    await run_ffmpeg(args, stage="compose", duration=duration, output=mp4,
                     on_progress=lambda f: report("compose", f))
    return mp4


async def _ladder(mp4: Path, duration: float, out_dir: Path, work: Path,
                  options: ComposeOptions, report: _Progress) -> tuple[Path, list[Rendition]]:
    width, height, bitrate = _probe(mp4)
    hls = out_dir / HLS
    shutil.rmtree(hls, ignore_errors=True)
    rungs = plan_ladder(width, height, bitrate)
    args = ladder_command(ffmpeg_path=options.ffmpeg, mp4=mp4, folder=hls, rungs=rungs,
                          fps=options.fps, preset=options.preset, threads=options.threads,
                          graph_file=work / "ladder.graph")
    await run_ffmpeg(args, stage="ladder", duration=duration, output=hls / MASTER,
                     on_progress=lambda f: report("ladder", f))
    master = write_master(hls, rungs, options.fps)
    return master, [Rendition(r.name, r.width, r.height, r.bitrate, hls / r.name / PLAYLIST)
                    for r in rungs]


async def compose_recording(
    raw_dir: Path,
    out_dir: Path,
    options: ComposeOptions,
    progress: ProgressCallback | None = None,
) -> ComposeResult:
    """Compose the raw recording in ``raw_dir`` into ``out_dir`` (created if need be; any
    earlier outputs there are replaced, and on failure or cancellation removed)."""
    raw_dir, out_dir = _folders(raw_dir, out_dir)
    report = _Progress(progress, asyncio.get_running_loop())
    cancel = threading.Event()
    created = not out_dir.exists()
    stage = "read"
    bound = log.bind(raw_dir=str(raw_dir))
    bound.info("compose.started", layout=options.layout)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        work = out_dir / WORK
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        prepared = await _in_thread(
            lambda: prepare(raw_dir, work, options, cancel, report.from_thread), cancel)
        bound = bound.bind(recording_id=prepared.recording_id)
        seconds = dict(prepared.seconds)

        stage = "compose"
        began = time.perf_counter()
        mp4 = await _compose_mp4(prepared, out_dir, work, options, report)
        seconds["compose"] = time.perf_counter() - began

        stage = "ladder"
        began = time.perf_counter()
        master, renditions = await _ladder(mp4, prepared.duration, out_dir, work, options,
                                           report)
        seconds["ladder"] = time.perf_counter() - began

        stage = "poster"
        began = time.perf_counter()
        poster = out_dir / POSTER
        await run_ffmpeg(
            poster_command(options.ffmpeg, mp4, poster_time(prepared.stage), poster,
                           work / "poster.graph"),
            stage="poster", duration=0.0, output=poster)
        seconds["poster"] = time.perf_counter() - began
        shutil.rmtree(work, ignore_errors=True)
    except asyncio.CancelledError:
        cancel.set()
        _remove_outputs(out_dir, created)
        bound.info("compose.cancelled", stage=stage)
        raise
    except Cancelled:  # the thread saw the flag first
        _remove_outputs(out_dir, created)
        raise asyncio.CancelledError from None
    except ComposeError as exc:
        _remove_outputs(out_dir, created)
        bound.warning("compose.failed", stage=exc.stage, error=str(exc))
        raise
    except OSError as exc:
        _remove_outputs(out_dir, created)
        error = os_error(exc, stage, out_dir)
        bound.warning("compose.failed", stage=stage, error=str(error))
        raise error from exc
    except BaseException:
        _remove_outputs(out_dir, created)
        raise
    report("done", 1.0)
    top = renditions[-1]
    result = ComposeResult(
        mp4=mp4, master_playlist=master, poster=poster, chapters_vtt=out_dir / CHAPTERS_VTT,
        chapters=prepared.chapters, duration=prepared.duration, width=top.width,
        height=top.height, renditions=renditions,
        stage_seconds={k: round(v, 3) for k, v in seconds.items()},
    )
    bound.info("compose.finished", duration=round(prepared.duration, 3),
               stage_seconds=result.stage_seconds, **prepared.notes)
    return result


def _probe(mp4: Path) -> tuple[int, int, int]:
    """Width, height and video bit rate of the composed MP4."""
    try:
        with av.open(str(mp4)) as container:
            stream = container.streams.video[0]
            return stream.width, stream.height, int(stream.bit_rate or 0)
    except (av.error.FFmpegError, IndexError) as exc:
        raise ComposeError(f"The composed {mp4} cannot be read back ({exc}).",
                           "ladder") from exc
