"""The whole media path, end to end: three aiortc publishers send pre-encoded patterns (VP8
and Opus packets passed through untouched, as a browser's encoder would hand them over)
through the live SFU, which records them; the recording is composed; PyAV measures the MP4.

alice: FFmpeg's avsynctest (a flash with every beep) as her camera and microphone, from the
start. bob: a testsrc2 screen share and a 500 Hz tone, joins later and leaves early. carol: a
camera and a 1500 Hz tone, joins last, and is muted by the SFU for a while.

Checked: the MP4 lasts as long as the session (within 0.5 s); each tone is present while
its owner is in the room and unmuted, and absent before they join, while muted and after they
leave; lip sync within EBU R37 (+40/-60 ms) on alice's tile; the shared screen, the presenter
tile, against its source frames: PSNR at least 30 dB.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from media.compose import ComposeOptions, compose_recording, verify_outputs
from media.compose.layout import Rect, fit
from media.compose.prepare import prepare
from media.recording.format import read_events, read_manifest
from media.sfu import Participant, Sfu
from media.sfu import _aiortc_shim as shim
from tests.media.compose.analysis import (
    decode_audio,
    luma,
    psnr,
    resize,
    tone_level_db,
    video_frames,
)
from tests.media.sfu.conftest import LOOPBACK, eventually, info

BOB_HZ = 500.0
CAROL_HZ = 1500.0
SCREEN = (640, 360)


def _encode(ffmpeg: str, target: Path, graph: str, video_args: list[str]) -> Path:
    subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-filter_complex", graph,
         "-map", "[v]", "-pix_fmt", "yuv420p", "-c:v", "libvpx", "-deadline", "realtime",
         "-cpu-used", "8", *video_args,
         "-map", "[a]", "-c:a", "libopus", "-b:a", "64k", "-frame_duration", "20",
         "-application", "lowdelay", str(target)],
        check=True, timeout=120)
    return target


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Pre-encoded WebM files, one per publisher, with a keyframe every second (a passed-
    through stream cannot answer the SFU's keyframe requests)."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    folder = tmp_path_factory.mktemp("sources")
    gop = ["-g", "15", "-keyint_min", "15"]
    return {
        "alice": _encode(ffmpeg, folder / "alice.webm",
                         "avsynctest=s=320x240:fr=15:sr=48000:d=30[a][v]",
                         ["-b:v", "500k", *gop]),
        "bob": _encode(ffmpeg, folder / "bob.webm",
                       f"testsrc2=s={SCREEN[0]}x{SCREEN[1]}:r=15:d=30[v];"
                       f"sine=f={BOB_HZ:g}:sample_rate=48000:d=30[a]",
                       # a screen share is sharp: plenty of bits, as browsers give screens
                       ["-b:v", "2500k", "-crf", "4", "-qmin", "0", "-qmax", "20", *gop]),
        "carol": _encode(ffmpeg, folder / "carol.webm",
                         "testsrc2=s=320x240:r=15:d=30,hue=h=120[v];"
                         f"sine=f={CAROL_HZ:g}:sample_rate=48000:d=30[a]",
                         ["-b:v", "400k", *gop]),
    }


class Publisher:
    """An aiortc peer sending a file's packets as they are (MediaPlayer, decode=False)."""

    def __init__(self, path: Path, video_source: str) -> None:
        self.player = MediaPlayer(str(path), decode=False)
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.sources: dict[str, Any] = {}
        assert self.player.audio is not None and self.player.video is not None
        self.pc.addTransceiver(self.player.audio, direction="sendonly")
        self.pc.addTransceiver(self.player.video, direction="sendonly")
        self.sources[self.player.audio.id] = "microphone"
        self.sources[self.player.video.id] = video_source

    async def join(self, participant: Participant) -> None:
        shim.restrict_gathering(self.pc, [LOOPBACK], None)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await participant.handle_offer(self.pc.localDescription.sdp, self.sources)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await eventually(lambda: participant.state == "connected", within=15,
                         what="publisher connected")

    async def close(self) -> None:
        await self.pc.close()
        for track in (self.player.audio, self.player.video):
            if track is not None:
                track.stop()


@pytest.fixture
async def publishers() -> AsyncIterator[list[Publisher]]:
    made: list[Publisher] = []
    yield made
    for publisher in made:
        await publisher.close()


async def _record_meeting(sfu: Sfu, sources: dict[str, Path], publishers: list[Publisher],
                          raw: Path) -> None:
    room = sfu.room("e2e")
    room.start_recording(raw, "e2e-1", layout="presenter")
    await asyncio.sleep(0.3)

    async def enter(name: str, source: str, **grants: bool) -> Participant:
        publisher = Publisher(sources[name], source)
        publishers.append(publisher)
        participant = room.join(name, info(name, can_subscribe=False, **grants))
        await publisher.join(participant)
        return participant

    await enter("alice", "camera")
    await asyncio.sleep(2.0)
    await enter("bob", "screen", can_share_screen=True)
    await asyncio.sleep(2.0)
    carol = await enter("carol", "camera")
    await asyncio.sleep(2.5)
    carol.set_muted("audio", True)
    carol.set_muted("video", True)
    await asyncio.sleep(2.0)
    carol.set_muted("audio", False)
    carol.set_muted("video", False)
    await asyncio.sleep(2.0)
    await room.leave("bob")
    await asyncio.sleep(1.5)
    summary = await room.stop_recording()
    assert summary is not None and not summary.error


def _times(raw: Path) -> dict[str, float]:
    """When things happened, in seconds of the session."""
    start = float(read_manifest(raw)["started_at"])
    out: dict[str, float] = {}
    for event in read_events(raw):
        t = float(event["t"]) - start
        kind, who = event["type"], event.get("participant_id")
        if kind == "participant_joined":
            out[f"{who} joined"] = t
        elif kind == "participant_left":
            out[f"{who} left"] = t
        elif kind == "mute_changed" and event.get("kind") == "audio":
            out[f"{who} {'muted' if event['muted'] else 'unmuted'}"] = t
        elif kind == "recording_stopped":
            out["end"] = t
    return out


def _flash_times(mp4: Path, tile: Rect, start: float, end: float) -> list[float]:
    means = [(t, float(luma(f)[tile.y : tile.y + tile.h, tile.x : tile.x + tile.w].mean()))
             for t, f in video_frames(mp4) if start <= t <= end]
    base = float(np.median([m for _, m in means]))
    flashes: list[float] = []
    for t, m in means:
        if m > base + 10 and (not flashes or t - flashes[-1] > 0.5):
            flashes.append(t)
    return flashes


def _beep_times(samples: Any, rate: int, first: float, start: float, end: float) -> list[float]:
    block = rate // 1000
    envelope = np.abs(samples[: samples.size // block * block]).reshape(-1, block).max(axis=1)
    loud = envelope > 0.5 * envelope.max()
    onsets = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    beeps: list[float] = []
    for onset in onsets:
        t = first + onset * block / rate
        if start <= t <= end and (not beeps or t - beeps[-1] > 0.5):
            beeps.append(t)
    return beeps


async def test_a_live_meeting_is_recorded_composed_and_measures_right(
    sfu: Sfu, sources: dict[str, Path], publishers: list[Publisher], tmp_path: Path
) -> None:
    import imageio_ffmpeg

    raw = tmp_path / "raw"
    await _record_meeting(sfu, sources, publishers, raw)
    options = ComposeOptions(ffmpeg=imageio_ffmpeg.get_ffmpeg_exe(), layout="presenter",
                             max_height=720)
    result = await compose_recording(raw, tmp_path / "out", options)
    times = _times(raw)
    session = times["end"]

    # duration: the session's, within half a second; the outputs verify
    with av.open(str(result.mp4)) as container:
        assert container.duration is not None
        duration = container.duration / av.time_base
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
    assert abs(duration - session) <= 0.5, (duration, session)
    verify_outputs(result, session)

    # every participant heard while present and unmuted, silent otherwise
    samples, rate, first = decode_audio(result.mp4)

    def level(hz: float, t0: float, t1: float) -> float:
        return tone_level_db(samples, rate, first, hz, t0, t1)

    present, absent = -30.0, -55.0  # a sine of amplitude 1/8 is -18 dBFS
    bob_in, bob_out = times["bob joined"], times["bob left"]
    assert level(BOB_HZ, 0.0, bob_in - 0.3) < absent
    assert level(BOB_HZ, bob_in + 1.0, bob_out - 0.5) > present
    assert level(BOB_HZ, bob_out + 0.4, session - 0.1) < absent
    carol_in, muted, unmuted = times["carol joined"], times["carol muted"], times["carol unmuted"]
    assert level(CAROL_HZ, 0.0, carol_in - 0.3) < absent
    assert level(CAROL_HZ, carol_in + 1.0, muted - 0.3) > present
    assert level(CAROL_HZ, muted + 0.4, unmuted - 0.2) < absent
    assert level(CAROL_HZ, unmuted + 0.8, session - 0.2) > present
    assert float(np.abs(samples).max()) < 1.0  # nothing clipped

    # lip sync on alice's tile, over a stretch where the layout holds still
    prepared = prepare(raw, tmp_path / "plan", options, threading.Event(), lambda *_: None)
    stretches: list[tuple[float, float, Rect]] = []  # alice's tile where it holds still
    for segment in prepared.segments:
        tile = next((t for t in segment.tiles
                     if t.participant_id == "alice" and t.track_id is not None), None)
        if tile is None:
            continue
        if stretches and stretches[-1][2] == tile.rect and stretches[-1][1] == segment.start:
            stretches[-1] = (stretches[-1][0], segment.end, tile.rect)
        else:
            stretches.append((segment.start, segment.end, tile.rect))
    stretches = [s for s in stretches if s[1] - s[0] >= 3.5]
    assert stretches, "\n".join(
        f"{s.start:.2f}-{s.end:.2f} {[(t.participant_id, t.track_id, t.rect) for t in s.tiles]}"
        for s in prepared.segments)
    offsets: list[float] = []
    for t0, t1, alice_tile in stretches:
        rect = fit(320, 240, alice_tile)
        flashes = _flash_times(result.mp4, rect, t0 + 0.2, t1 - 0.2)
        beeps = _beep_times(samples, rate, first, t0, t1)
        for flash in flashes:
            if beeps:
                beep = min(beeps, key=lambda b: abs(b - flash))
                if abs(beep - flash) < 0.5:
                    offsets.append((beep - flash) * 1000)  # negative: sound first
    assert offsets, "no flash and beep pair found on alice's tile"
    assert all(-40.0 <= o <= 60.0 for o in offsets), offsets
    print(f"\nsession {session:.2f} s, MP4 {duration:.2f} s; lip sync (ms, + = sound late): "
          f"{[round(float(o), 1) for o in offsets]}")

    # the presenter tile (bob's screen) against its source frames
    screen = next(
        (tile for segment in prepared.segments for tile in segment.tiles
         if tile.participant_id == "bob" and segment.end - segment.start > 2), None)
    assert screen is not None
    rect = fit(SCREEN[0], SCREEN[1], screen.rect)
    assert rect.w >= SCREEN[0] * 0.9  # large: the presenter tile
    with av.open(str(sources["bob"])) as container:
        source = [luma(f) for f in container.decode(video=0)]
    scores: list[float] = []
    for t, frame in video_frames(result.mp4):
        if not bob_in + 1.5 < t < bob_in + 4.5:
            continue
        tile_image = luma(frame)[rect.y : rect.y + rect.h, rect.x : rect.x + rect.w]
        shrunk = resize(tile_image, SCREEN[0], SCREEN[1])
        scores.append(max(psnr(shrunk, candidate) for candidate in source))
    assert scores and float(np.median(scores)) >= 30.0, scores[:10]
    print(f"presenter tile PSNR: median {np.median(scores):.1f} dB, min {min(scores):.1f} dB "
          f"over {len(scores)} frames")
