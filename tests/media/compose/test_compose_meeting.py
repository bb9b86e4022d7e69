"""A three-person meeting, composed once: late join, a mute, an early leave, a screen share.

Checked with PyAV and numpy: the MP4 (duration, codecs, constant frame rate, 2 s keyframes),
each person's tone present exactly while they are there and not muted, the shared screen's
tile against its source (PSNR), the placeholder of a muted camera, the HLS ladder, the poster
and the chapters, and the raw folder left byte for byte as it was.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from bench.recordings import GeneratedRecording, Mute, Share, generate_recording
from media.compose import ComposeOptions, ComposeResult, compose_recording, verify_outputs
from media.compose.layout import fit, presenter

from .analysis import (
    decode_audio,
    folder_digest,
    luma,
    psnr,
    resize,
    tone_level_db,
    video_frames,
)

SECONDS = 12.0
FPS = 30


@dataclass
class Meeting:
    info: GeneratedRecording
    result: ComposeResult
    digest_before: dict[str, str]
    progress: list[tuple[str, float]]


@pytest.fixture(scope="module")
def meeting(tmp_path_factory: pytest.TempPathFactory, ffmpeg_path: str) -> Meeting:
    folder = tmp_path_factory.mktemp("meeting")
    info = generate_recording(
        folder / "raw", seconds=SECONDS, participants=3, width=320, height=240, fps=FPS,
        ffmpeg=ffmpeg_path, joins=(0.0, 3.0, 0.0), leaves={2: 9.0}, mute=Mute(1, 6.0, 8.0),
        share=Share(0, 2.0, 10.0, 640, 360), jitter=0.006,
    )
    before = folder_digest(folder / "raw")
    progress: list[tuple[str, float]] = []
    options = ComposeOptions(ffmpeg=ffmpeg_path, layout="presenter", max_height=540, fps=FPS)
    result = asyncio.run(compose_recording(folder / "raw", folder / "out", options,
                                           lambda stage, pct: progress.append((stage, pct))))
    return Meeting(info, result, before, progress)


def test_mp4_is_h264_aac_as_long_as_the_session_at_a_constant_rate(meeting: Meeting) -> None:
    result = meeting.result
    verify_outputs(result, SECONDS)
    assert (result.width, result.height) == (960, 540)
    assert abs(result.duration - SECONDS) < 1e-6
    with av.open(str(result.mp4)) as container:
        assert container.duration is not None
        assert abs(container.duration / av.time_base - SECONDS) < 0.5
        video = container.streams.video[0]
        assert video.time_base is not None
        assert video.codec_context.name == "h264" and video.codec_context.pix_fmt == "yuv420p"
        assert container.streams.audio[0].codec_context.name == "aac"
        times, keys = [], []
        for packet in container.demux(video):
            if packet.pts is None:
                continue
            times.append(float(packet.pts * video.time_base))
            if packet.is_keyframe:
                keys.append(float(packet.pts * video.time_base))
    times.sort()
    assert abs(len(times) - SECONDS * FPS) <= 1
    assert np.allclose(np.diff(times), 1 / FPS, atol=1e-3)
    assert np.allclose(np.diff(keys), 2.0, atol=1e-3) and len(keys) == 6


def test_everyone_is_heard_exactly_while_present_and_unmuted(meeting: Meeting) -> None:
    samples, rate, start = decode_audio(meeting.result.mp4)
    assert np.abs(samples).max() < 1.0  # the limiter: no clipping
    heard = {0: [(0.0, 12.0)], 1: [(3.0, 6.0), (8.0, 12.0)], 2: [(0.0, 9.0)]}
    for person in meeting.info.participants:
        spans = heard[person.index]
        for t in np.arange(0.0, SECONDS - 0.5, 0.25):
            a, b = t, t + 0.5
            level = tone_level_db(samples, rate, start, person.frequency, a, b)
            if any(s + 0.15 <= a and b <= e - 0.15 for s, e in spans):
                assert level > -24, (person.display_name, t, level)
            elif all(b <= s - 0.15 or a >= e + 0.15 for s, e in spans):
                assert level < -50, (person.display_name, t, level)


def test_shared_screen_tile_matches_its_source(meeting: Meeting) -> None:
    screen = meeting.info.participants[0].tracks["screen"]
    source = [luma(frame) for _, frame in video_frames(screen.clip)]
    tile = fit(640, 360, presenter(3, 960, 540)[0])
    checked = []
    for t, frame in video_frames(meeting.result.mp4):
        if not any(abs(t - at) < 0.5 / FPS for at in (2.6, 4.0, 5.5, 7.3, 9.4)):
            continue
        region = luma(frame)[tile.y : tile.y + tile.h, tile.x : tile.x + tile.w]
        back = resize(region, 640, 360)
        expected = round((t - screen.start) * FPS)
        best = max(psnr(back, source[k % len(source)]) for k in range(expected - 2,
                                                                       expected + 3))
        checked.append(best)
    assert len(checked) == 5 and min(checked) >= 30.0, checked


def test_a_muted_camera_becomes_a_placeholder_tile(meeting: Meeting) -> None:
    column = presenter(3, 960, 540)[1]
    flat: dict[float, int] = {}
    for t, frame in video_frames(meeting.result.mp4):
        if any(abs(t - at) < 0.5 / FPS for at in (5.0, 7.0)):
            image = luma(frame)
            flat[round(t)] = sum(
                1 for r in column  # the top of a placeholder is flat (its avatar is central)
                if image[r.y + 4 : r.y + r.h // 4, r.x + 4 : r.x + r.w - 4].std() < 3.0)
    assert flat == {5: 0, 7: 1}


def test_ladder_never_upscales_and_keeps_its_rhythm(meeting: Meeting) -> None:
    result = meeting.result
    assert [(r.name, r.width, r.height) for r in result.renditions] == [
        ("360p", 640, 360), ("540p", 960, 540)]
    master = result.master_playlist.read_text().splitlines()
    assert master[0] == "#EXTM3U" and "#EXT-X-INDEPENDENT-SEGMENTS" in master
    infos = [line for line in master if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(infos) == 2
    for info, rendition in zip(infos, result.renditions, strict=True):
        assert f"RESOLUTION={rendition.width}x{rendition.height}" in info
        assert 'CODECS="avc1.' in info and ',mp4a.40.2"' in info
        assert int(info.split("BANDWIDTH=")[1].split(",")[0]) > 0
    for rendition in result.renditions:
        playlist = rendition.playlist.read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and "#EXT-X-ENDLIST" in playlist
        durations = [float(line[8:].split(",")[0]) for line in playlist.splitlines()
                     if line.startswith("#EXTINF:")]
        assert durations == pytest.approx([6.0, 6.0], abs=0.05)
        with av.open(str(rendition.playlist)) as container:
            video = container.streams.video[0]
            assert video.time_base is not None
            assert (video.width, video.height) == (rendition.width, rendition.height)
            keys = [float(p.pts * video.time_base) for p in container.demux(video)
                    if p.is_keyframe and p.pts is not None]
        assert np.allclose(np.diff(keys), 2.0, atol=1e-3)


def test_top_rung_is_the_mp4_video_copied(meeting: Meeting) -> None:
    def sizes(path: Path) -> list[int]:
        with av.open(str(path)) as container:
            return [p.size for p in container.demux(container.streams.video[0]) if p.size][:60]

    assert sizes(meeting.result.renditions[-1].playlist) == sizes(meeting.result.mp4)


def test_poster_chapters_progress_and_untouched_raw_files(meeting: Meeting) -> None:
    result = meeting.result
    with av.open(str(result.poster)) as container:
        poster = next(container.decode(video=0))
        assert (poster.width, poster.height) == (960, 540)
    titles = [(round(c.start), c.title) for c in result.chapters]
    assert (2, "Screen share: Dr. Ada Okafor") in titles
    assert result.chapters[0].start == 0.0
    vtt = result.chapters_vtt.read_text()
    assert vtt.startswith("WEBVTT") and "Screen share: Dr. Ada Okafor" in vtt
    with av.open(str(result.mp4)) as container:
        embedded = [c["metadata"]["title"] for c in container.chapters()]
    assert embedded == [c.title for c in result.chapters]
    assert folder_digest(meeting.info.directory) == meeting.digest_before
    percents = [p for _, p in meeting.progress]
    assert percents == sorted(percents) and percents[-1] == 100.0
    assert {"read", "compose", "ladder"} <= {s for s, _ in meeting.progress}
    assert set(result.stage_seconds) == {"read", "video", "audio", "compose", "ladder",
                                         "poster"}
    assert not (result.mp4.parent / ".compose-work").exists()
