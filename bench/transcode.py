"""``python -m bench.transcode``: what turning a recording into replayable outputs costs.

Issue #4. The benchmark writes its own raw recording (``bench.recordings``: three people with
640x480 VP8 cameras and Opus microphones, one joining late, one muting for a while, one
sharing a 1280x720 screen for part of the time), 10 minutes long (``--quick``: 1 minute), then
composes it with ``media.compose.compose_recording`` into the MP4 and the HLS ladder, in a
child process so that its memory is measured alone.

Figures:

- speed as multiples of real time (media seconds over wall seconds) of each stage: reading
  and depacketizing, Opus decoding, the FFmpeg composition, the ladder, and the whole
  (``compose_x_realtime`` counts everything up to the MP4: reading, decoding and FFmpeg;
  ``ffmpeg_compose_x_realtime`` the FFmpeg run alone);
- peak memory: the composing Python process (``ru_maxrss``) and its largest FFmpeg child
  (its VmHWM, sampled while it runs; ``RUSAGE_CHILDREN`` is reported too, but a child's
  figure there starts from its parent's);
- the live recorder's CPU per recorded track: one track's packets replayed through
  ``media.recording.writer.TrackWriter`` (``on_rtp`` per packet, ``flush`` once a media
  second, as the SFU does), process CPU time over the media's duration, as a percent of one
  core.

Targets on the 2-core reference machine: the whole pipeline at least 1.5x real time; the
recorder under 5 % of a core per track. ``--json`` prints one object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.loadgen import procs
from bench.recordings import Mute, Share, generate_recording

TARGETS = {"total_x_realtime": 1.5, "recording_cpu_pct_per_track": 5.0}


def make_recording(directory: Path, seconds: float, seed: int) -> dict[str, Any]:
    began = time.perf_counter()
    info = generate_recording(
        directory,
        seconds=seconds,
        participants=3,
        width=640,
        height=480,
        joins=(0.0, 0.0, round(seconds * 0.05, 1)),
        mute=Mute(1, round(seconds * 0.3, 1), round(seconds * 0.4, 1)),
        share=Share(0, round(seconds * 0.2, 1), round(seconds * 0.6, 1), 1280, 720),
        seed=seed,
    )
    size = sum(p.stat().st_size for p in (directory / "tracks").iterdir())
    return {"generate_seconds": round(time.perf_counter() - began, 2),
            "raw_mb": round(size / 2**20, 1),
            "camera_track": str(info.participants[0].tracks["camera"].path),
            "audio_track": str(info.participants[0].tracks["microphone"].path)}


def recorder_cpu_pct(track: Path) -> float:
    """CPU percent of one core that writing this track costs the live server."""
    from media.recording.format import RtpRecord, read_track
    from media.recording.writer import TrackWriter

    source = read_track(track)
    records = [r for r in source.packets if isinstance(r, RtpRecord)]
    if not records:
        return 0.0
    media = records[-1].arrival - records[0].arrival
    with tempfile.TemporaryDirectory() as folder:
        writer = TrackWriter(Path(folder) / "replay.rtp", source.header)
        wall_offset = records[0].arrival
        next_flush = 1.0
        began = time.process_time()
        for record in records:
            arrival = record.arrival - wall_offset
            writer.on_rtp(memoryview(record.packet), len(record.packet), arrival)
            if arrival >= next_flush:
                writer.flush()
                next_flush += 1.0
        writer.close()
        cpu = time.process_time() - began
    return 100.0 * cpu / media if media > 0 else 0.0


class ChildMemory:
    """Samples the peak RSS (VmHWM) of this process's FFmpeg children while they run.

    ``RUSAGE_CHILDREN`` cannot tell: a child's ``ru_maxrss`` starts from its parent's, which
    it shares until ``exec``."""

    def __init__(self, period: float = 0.2) -> None:
        self.period = period
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(self.period):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                with contextlib.suppress(OSError, ValueError):
                    status = (entry / "status").read_text()
                    if f"PPid:\t{me}\n" in status:
                        peak = procs.memory_mb(int(entry.name)).get("VmHWM", 0.0)
                        self.peak_mb = max(self.peak_mb, peak)

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(raw: Path, out: Path, layout: str, preset: str, threads: int) -> dict[str, Any]:
    """Compose (in this, the child process) and report the stage times and memory."""
    from media.compose import ComposeOptions, compose_recording, verify_outputs

    options = ComposeOptions(layout=layout, preset=preset, threads=threads)  # type: ignore[arg-type]
    began = time.perf_counter()
    with ChildMemory() as children:
        result = asyncio.run(compose_recording(raw, out, options))
    wall = time.perf_counter() - began
    verify_outputs(result, result.duration)
    mp4_mb = result.mp4.stat().st_size / 2**20
    hls_mb = sum(p.stat().st_size for p in result.master_playlist.parent.rglob("*")) / 2**20
    return {
        "wall_seconds": wall,
        "stage_seconds": result.stage_seconds,
        "media_seconds": result.duration,
        "canvas": f"{result.width}x{result.height}",
        "rungs": [r.name for r in result.renditions],
        "mp4_mb": round(mp4_mb, 1),
        "hls_mb": round(hls_mb, 1),
        "python_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "ffmpeg_peak_rss_mb": children.peak_mb,
        "children_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    seconds = args.seconds or (60.0 if args.quick else 600.0)
    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as folder:
        raw = Path(folder) / "raw"
        made = make_recording(raw, seconds, args.seed)
        child = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.transcode", "--measure", str(raw),
             str(Path(folder) / "out"), "--layout", args.layout, "--preset", args.preset,
             "--threads", str(args.threads)],
            capture_output=True, text=True, check=False,
        )
        if child.returncode != 0:
            raise SystemExit(f"composition failed:\n{child.stderr[-3000:]}")
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        video_pct = recorder_cpu_pct(Path(made["camera_track"]))
        audio_pct = recorder_cpu_pct(Path(made["audio_track"]))
    media = measured["media_seconds"]
    stages = measured["stage_seconds"]
    prepare = stages["read"] + stages["video"] + stages["audio"]

    def speed(spent: float) -> float:
        return round(media / spent, 2) if spent > 0 else 0.0

    return {
        "media_seconds": round(media, 2),
        "participants": 3,
        "layout": args.layout,
        "preset": args.preset,
        "canvas": measured["canvas"],
        "rungs": measured["rungs"],
        "prepare_x_realtime": speed(prepare),
        "compose_x_realtime": speed(prepare + stages["compose"]),
        "ffmpeg_compose_x_realtime": speed(stages["compose"]),
        "ladder_x_realtime": speed(stages["ladder"]),
        "total_x_realtime": speed(measured["wall_seconds"]),
        "stage_seconds": stages,
        "peak_rss_mb": round(max(measured["python_peak_rss_mb"],
                                 measured["ffmpeg_peak_rss_mb"]), 1),
        "python_peak_rss_mb": round(measured["python_peak_rss_mb"], 1),
        "ffmpeg_peak_rss_mb": round(measured["ffmpeg_peak_rss_mb"], 1),
        "children_maxrss_mb": round(measured["children_maxrss_mb"], 1),
        "recording_cpu_pct_per_track": round(max(video_pct, audio_pct), 3),
        "recording_cpu_pct_video_track": round(video_pct, 3),
        "recording_cpu_pct_audio_track": round(audio_pct, 3),
        "raw_mb": made["raw_mb"],
        "mp4_mb": measured["mp4_mb"],
        "hls_mb": measured["hls_mb"],
        "generate_seconds": made["generate_seconds"],
        "machine": procs.machine(),
    }


def render(result: dict[str, Any]) -> str:
    machine = result["machine"]
    stages = result["stage_seconds"]
    media = result["media_seconds"]

    def row(label: str, seconds: float) -> str:
        return f"  {label:<34}{seconds:8.1f} s  {media / seconds if seconds else 0:7.2f}x"

    def verdict(key: str, higher: bool) -> str:
        ok = result[key] >= TARGETS[key] if higher else result[key] < TARGETS[key]
        return "met" if ok else "MISSED"

    lines = [
        f"bench.transcode: {media:.0f} s, 3 people (640x480 VP8 cameras, Opus, a 1280x720 "
        f"screen share), layout {result['layout']}, x264 {result['preset']}, canvas "
        f"{result['canvas']}, rungs {' '.join(result['rungs'])}",
        f"machine: {machine['cpu']} ({machine['cores']} cores), load {machine['load_average']}",
        "stage                                  wall   real time",
        row("read, clocks, depacketize", stages["read"] + stages["video"]),
        row("Opus decode, audio placement", stages["audio"]),
        row("compose (FFmpeg, one run)", stages["compose"]),
        row("HLS ladder (FFmpeg, one run)", stages["ladder"]),
        row("poster", stages["poster"]),
        row("total", media / result["total_x_realtime"] if result["total_x_realtime"] else 0),
        f"total {result['total_x_realtime']}x real time (target >= "
        f"{TARGETS['total_x_realtime']}x: {verdict('total_x_realtime', True)})",
        f"peak memory: composing process {result['python_peak_rss_mb']:.0f} MB, largest "
        f"FFmpeg {result['ffmpeg_peak_rss_mb']:.0f} MB",
        f"recorder CPU per track: video {result['recording_cpu_pct_video_track']:.2f} %, "
        f"audio {result['recording_cpu_pct_audio_track']:.2f} % of a core (target < "
        f"{TARGETS['recording_cpu_pct_per_track']} %: "
        f"{verdict('recording_cpu_pct_per_track', False)})",
        f"sizes: raw {result['raw_mb']} MB, MP4 {result['mp4_mb']} MB, HLS {result['hls_mb']} MB",
    ]
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.transcode",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a 1-minute recording")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seconds", type=float, help="recording length (600; quick 60)")
    parser.add_argument("--layout", default="presenter",
                        choices=["presenter", "speaker", "grid"])
    parser.add_argument("--preset", default="veryfast", help="x264 preset (veryfast)")
    parser.add_argument("--threads", type=int, default=0, help="encoder threads (0: auto)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--measure", nargs=2, metavar=("RAW", "OUT"), type=Path,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.measure:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        raw, out = args.measure
        print(json.dumps(measure(raw, out, args.layout, args.preset, args.threads)))
        return 0
    result = run(args)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
