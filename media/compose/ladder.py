"""The HLS ladder from the MP4, in one FFmpeg run that decodes the MP4 once.

Rungs follow Apple's authoring guidelines (360p at 730 kb/s, 540p at 2 Mb/s, 720p at 3 Mb/s,
1080p at 4.5 Mb/s), never above the MP4's own height. The decoded picture is split and scaled
to each lower rung and encoded there (capped CRF: still pictures cost little); the top rung
is the MP4's own video, copied, as is the AAC audio of every rung. Keyframes every 2 s make
every 6 s segment start on one. fMP4 segments, VOD playlists, independent segments; the
master playlist is written here, with each rung's peak and average bandwidth measured from
its segments and its codecs read from its init segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from .graph import finish_args

RUNGS = ((360, 730_000), (540, 2_000_000), (720, 3_000_000), (1080, 4_500_000))
SEGMENT_SECONDS = 6
RUNG_CRF = 23
MASTER = "master.m3u8"
PLAYLIST = "index.m3u8"
INIT = "init.mp4"
AAC_LC = "mp4a.40.2"


@dataclass(frozen=True, slots=True)
class RungPlan:
    name: str
    width: int
    height: int
    bitrate: int
    copy: bool


def plan_ladder(width: int, height: int, mp4_video_bitrate: int) -> list[RungPlan]:
    """The rungs below the MP4's height, encoded, and the MP4's own height, copied."""
    out = [
        RungPlan(f"{h}p", max(2, round(h * width / height / 2) * 2), h, rate, False)
        for h, rate in RUNGS
        if h < height
    ]
    nominal = dict(RUNGS).get(height, mp4_video_bitrate)
    out.append(RungPlan(f"{height}p", width, height, nominal, True))
    return out


def ladder_command(
    *,
    ffmpeg_path: str,
    mp4: Path,
    folder: Path,
    rungs: list[RungPlan],
    fps: int,
    preset: str,
    threads: int,
    graph_file: Path,
) -> list[str]:
    source = ffmpeg.input(str(mp4))
    encoded = [r for r in rungs if not r.copy]
    branches = source.video.split() if len(encoded) > 1 else None
    streams = []
    options: dict[str, object] = {"c:a": "copy"}
    gop = 2 * fps
    n_encoded = 0
    for index, rung in enumerate(rungs):
        if rung.copy:
            streams.append(source.video)
            options[f"c:v:{index}"] = "copy"
        else:
            branch = branches[n_encoded] if branches is not None else source.video
            n_encoded += 1
            streams.append(branch.filter("scale", rung.width, rung.height).filter("setsar", "1"))
            options.update({
                f"c:v:{index}": "libx264", f"crf:v:{index}": RUNG_CRF,
                f"maxrate:v:{index}": rung.bitrate, f"bufsize:v:{index}": 2 * rung.bitrate,
                f"profile:v:{index}": "main" if rung.height <= 540 else "high",
            })
        streams.append(source.audio)
        (folder / rung.name).mkdir(parents=True, exist_ok=True)
    if encoded:
        options.update({"preset": preset, "g": gop, "keyint_min": gop, "sc_threshold": 0,
                        "pix_fmt": "yuv420p", "threads": threads})
    stream_map = " ".join(f"v:{i},a:{i},name:{r.name}" for i, r in enumerate(rungs))
    output = ffmpeg.output(
        *streams,
        str(folder / "%v" / PLAYLIST),
        f="hls",
        hls_time=SEGMENT_SECONDS,
        hls_playlist_type="vod",
        hls_flags="independent_segments",
        hls_segment_type="fmp4",
        hls_fmp4_init_filename=INIT,
        hls_segment_filename=str(folder / "%v" / "seg_%05d.m4s"),
        var_stream_map=stream_map,
        **options,
    )
    return finish_args(output.compile(cmd=ffmpeg_path), graph_file)


@dataclass(frozen=True, slots=True)
class PlaylistFacts:
    segments: list[tuple[float, Path]]
    ended: bool
    init: Path | None

    @property
    def duration(self) -> float:
        return sum(d for d, _ in self.segments)


def read_playlist(path: Path) -> PlaylistFacts:
    segments: list[tuple[float, Path]] = []
    init: Path | None = None
    pending: float | None = None
    ended = False
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            pending = float(line[8:].split(",")[0])
        elif line.startswith("#EXT-X-MAP:"):
            found = re.search(r'URI="([^"]+)"', line)
            if found:
                init = path.parent / found.group(1)
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line and not line.startswith("#") and pending is not None:
            segments.append((pending, path.parent / line))
            pending = None
    return PlaylistFacts(segments, ended, init)


def avc_codec(init_segment: Path) -> str:
    """``avc1.PPCCLL`` from the avcC box of an fMP4 init segment."""
    data = init_segment.read_bytes()
    at = data.find(b"avcC")
    if at < 0 or at + 8 > len(data):
        raise ValueError(f"no avcC box in {init_segment}")
    profile, constraints, level = data[at + 5], data[at + 6], data[at + 7]
    return f"avc1.{profile:02x}{constraints:02x}{level:02x}"


def write_master(folder: Path, rungs: list[RungPlan], fps: int) -> Path:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung in rungs:
        facts = read_playlist(folder / rung.name / PLAYLIST)
        if not facts.segments or facts.init is None:
            raise ValueError(f"the {rung.name} playlist lists no segments")
        rates = [p.stat().st_size * 8 / d for d, p in facts.segments if d > 0.5]
        total = sum(p.stat().st_size for _, p in facts.segments) + facts.init.stat().st_size
        peak = round(max(rates) if rates else total * 8 / max(facts.duration, 0.001))
        average = round(total * 8 / max(facts.duration, 0.001))
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},"
            f"RESOLUTION={rung.width}x{rung.height},FRAME-RATE={fps:.3f},"
            f'CODECS="{avc_codec(facts.init)},{AAC_LC}"'
        )
        lines.append(f"{rung.name}/{PLAYLIST}")
    master = folder / MASTER
    master.write_text("\n".join(lines) + "\n")
    return master
