"""The blocking half of composition, run in a thread: read the raw recording, put it on one
clock, write the video runs and audio files, and work out the timeline, edit list and
chapters. Nothing under the raw recording's folder is ever opened for writing."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from media.recording.format import read_events, read_manifest, track_paths

from .audio import PlacedAudio, place_participant_audio
from .chapters import build_chapters
from .clockmap import ClockMap, map_tracks
from .editlist import Segment, build_edit_list
from .errors import Cancelled, ComposeError
from .layout import canvas_size
from .options import ComposeOptions
from .result import Chapter
from .runner import os_error
from .timeline import MediaSeen, Stage, build_stage
from .tracks import LoadedTrack, load_track
from .video import VideoRun, WrittenVideo, write_video_track

log = structlog.get_logger(__name__)

Report = Callable[[str, float], None]
"""(stage, fraction of that stage done)."""


@dataclass(slots=True)
class Prepared:
    recording_id: str
    duration: float
    width: int
    height: int
    runs: list[VideoRun]
    wavs: list[Path]
    stage: Stage
    segments: list[Segment]
    chapters: list[Chapter]
    seconds: dict[str, float] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


def _session_bounds(manifest: dict[str, Any], tracks: list[LoadedTrack]) -> tuple[float, float]:
    arrivals = [t.arrival for t in tracks if t.packets]
    first = min(float(a.min()) for a in arrivals)
    last = max(float(a.max()) for a in arrivals)
    start = manifest.get("started_at")
    stop = manifest.get("stopped_at")
    start = float(start) if isinstance(start, int | float) and start > 0 else first
    end = float(stop) if isinstance(stop, int | float) and stop > start else last
    return start, end


def read_tracks(raw_dir: Path, cancel: threading.Event,
                report: Report) -> tuple[list[LoadedTrack], dict[str, Any]]:
    if not raw_dir.is_dir():
        raise ComposeError(f"The raw recording folder {raw_dir} does not exist.", "read")
    try:
        manifest = read_manifest(raw_dir)
    except ValueError as exc:
        raise ComposeError(f"{exc}. Restore manifest.json or remove it (the start and end "
                           "then come from the packets).", "read") from exc
    paths = track_paths(raw_dir)
    tracks: list[LoadedTrack] = []
    for n, path in enumerate(paths):
        if cancel.is_set():
            raise Cancelled
        if path.stat().st_size == 0:
            # Created, then killed before its first flush: it never held anything.
            log.warning("compose.track_empty", track=path.name)
            continue
        track = load_track(path, keep_payloads=False)
        if track.truncated_bytes:
            log.info("compose.track_tail_cut", track=path.name, bytes=track.truncated_bytes)
        tracks.append(track)
        report("read", (n + 1) / len(paths))
    if not any(t.packets for t in tracks):
        raise ComposeError(
            f"The recording in {raw_dir} holds no media: {len(paths)} track file(s) and no "
            "packets in any of them (it was stopped before anyone's audio or video reached "
            "the recorder). There is nothing to compose; the raw folder is kept.",
            "read",
        )
    return tracks, manifest


def prepare(raw_dir: Path, work: Path, options: ComposeOptions, cancel: threading.Event,
            report: Report) -> Prepared:
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    tracks, manifest = read_tracks(raw_dir, cancel, report)
    start, end = _session_bounds(manifest, tracks)
    duration = end - start
    if duration <= 0.1:
        raise ComposeError(f"The recording in {raw_dir} lasts {duration:.2f} s: nothing to "
                           "compose; the raw folder is kept.", "read")
    clocks = map_tracks([t for t in tracks if t.packets], start)
    events = read_events(raw_dir)
    seconds["read"] = time.perf_counter() - began

    began = time.perf_counter()
    videos = [t for t in tracks if t.header.kind == "video" and t.packets]
    written: list[WrittenVideo] = []
    (work / "video").mkdir(parents=True, exist_ok=True)
    for n, light in enumerate(videos):
        if cancel.is_set():
            raise Cancelled
        track = load_track(light.path, keep_payloads=True)
        try:
            written.append(write_video_track(track, clocks[light.path], work / "video",
                                             duration, cancel))
        except OSError as exc:
            raise os_error(exc, "video", work) from exc
        del track  # unmap it before the next one
        report("video", (n + 1) / len(videos))
    seconds["video"] = time.perf_counter() - began

    began = time.perf_counter()
    try:
        placed = _place_audio(tracks, clocks, work, duration, cancel, report)
    except OSError as exc:
        raise os_error(exc, "audio", work) from exc
    seconds["audio"] = time.perf_counter() - began

    names = {t.header.participant_id: t.header.display_name for t in tracks
             if t.header.display_name}
    seen = [MediaSeen(w.track_id, w.participant_id, "video", w.source,
                      names.get(w.participant_id, ""), w.frame_times, w.tallest)
            for w in written if w.runs]
    seen += [MediaSeen(f"audio:{p.participant_id}", p.participant_id, "audio", "microphone",
                       names.get(p.participant_id, ""), np.empty(0), coverage=p.coverage)
             for p in placed]
    stage = build_stage(duration, start, events, seen,
                        {p.participant_id: p.levels for p in placed})
    tallest_screen = max((w.tallest for w in written if w.source == "screen"), default=0)
    width, height = canvas_size(tallest_screen, options.max_height)
    segments = build_edit_list(stage, options.layout, width, height)
    recording_id = str(manifest.get("recording_id") or raw_dir.name)
    log.info("compose.prepared", recording_id=recording_id, duration=round(duration, 3),
             tracks=len(tracks), segments=len(segments), canvas=f"{width}x{height}",
             synced=sum(c.synced for cs in clocks.values() for c in cs))
    return Prepared(
        recording_id, duration, width, height,
        [r for w in written for r in w.runs], [p.path for p in placed if p.samples],
        stage, segments, build_chapters(stage), seconds,
        {"incomplete_frames": sum(w.incomplete for w in written),
         "skipped_frames": sum(w.skipped for w in written)},
    )


def _place_audio(tracks: list[LoadedTrack], clocks: dict[Path, list[ClockMap]], work: Path,
                 duration: float, cancel: threading.Event, report: Report) -> list[PlacedAudio]:
    by_person: dict[str, list[Path]] = defaultdict(list)
    for track in tracks:
        if track.header.kind == "audio" and track.packets:
            by_person[track.header.participant_id].append(track.path)
    (work / "audio").mkdir(parents=True, exist_ok=True)
    placed = []
    for n, (pid, paths) in enumerate(by_person.items()):
        loaded = [load_track(p, keep_payloads=True) for p in paths]
        placed.append(place_participant_audio(
            pid, [(t, clocks[t.path]) for t in loaded], work / "audio" / f"{n}.wav",
            duration, cancel))
        del loaded
        report("audio", (n + 1) / len(by_person))
    return placed
