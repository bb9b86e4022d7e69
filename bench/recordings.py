"""Synthetic raw recordings, in the recorder's on-disk format, without a live SFU.

Sources are encoded once with the bundled FFmpeg and cached (keyed by their parameters): a
``testsrc2`` camera per participant (VP8 via libvpx realtime, or H.264 via libx264 without
B-frames) and a sine tone at the participant's own frequency (Opus, 20 ms frames), or
``avsynctest`` sound and picture for a lip-sync check, and a ``testsrc2`` screen. Their
packets are read back with PyAV (demux only), looped if the recording is longer than the
clip, and packetized as a browser would: VP8 payload descriptors with a 15-bit PictureID or
H.264 single NAL units, STAP-A and FU-A, at most about 1200 bytes a packet, the marker on a
frame's last packet; Opus one frame a packet; random SSRCs, sequence numbers and timestamps
(some chosen to wrap early); header extensions (audio level, abs-send-time).

Each participant has its own wall clock (an offset, and a skew in ppm) for its RTP and NTP
times; arrivals at the SFU add the encoder's delay (video), packet pacing, network delay and
exponential jitter. Sender reports (NTP and RTP time of the same instant) go out every second
per track. Events (joins, leaves, publications, mutes, speakers) and the manifest complete
the folder.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import struct
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from media.recording.format import (
    EVENTS,
    MANIFEST,
    TRACKS,
    TrackHeader,
    encode_header,
    encode_rtp,
    encode_sender_report,
    write_json_atomically,
)

NTP_EPOCH_OFFSET = 2_208_988_800
VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
OPUS_FRAME = 960
MTU_PAYLOAD = 1200
NAMES = ("Dr. Ada Okafor", "Dr. Ben Lindqvist", "Dr. Chen Wei", "Dr. Dana Ruiz",
         "Dr. Emil Novak", "Dr. Farah Haddad")
FREQUENCIES = (500.0, 1100.0, 1700.0, 2300.0, 2900.0, 3500.0)
STARTED_AT = 1_765_000_000.0


@dataclass(frozen=True)
class Share:
    participant: int
    start: float
    end: float
    width: int = 1280
    height: int = 720


@dataclass(frozen=True)
class Mute:
    participant: int
    start: float
    end: float
    kinds: tuple[str, ...] = ("audio", "video")


@dataclass(frozen=True)
class GeneratedTrack:
    track_id: str
    kind: Literal["audio", "video"]
    source: Literal["microphone", "camera", "screen"]
    path: Path
    clip: Path
    """The encoded source file it was packetized from (looped every ``loop_seconds``)."""
    start: float
    """Session seconds at which the clip's time 0 was captured."""
    skew: float
    """Session seconds = start + clip seconds * (1 - skew)."""
    packets: int


@dataclass(frozen=True)
class GeneratedParticipant:
    index: int
    participant_id: str
    display_name: str
    join: float
    leave: float
    frequency: float
    avsync: bool
    tracks: dict[str, GeneratedTrack] = field(default_factory=dict)
    """By source: microphone, camera, screen."""


@dataclass(frozen=True)
class GeneratedRecording:
    directory: Path
    recording_id: str
    started_at: float
    seconds: float
    fps: int
    width: int
    height: int
    loop_seconds: float
    participants: list[GeneratedParticipant]
    share: Share | None
    mute: Mute | None

    @property
    def tracks(self) -> list[GeneratedTrack]:
        return [t for p in self.participants for t in p.tracks.values()]


# -- sources ---------------------------------------------------------------------------------

def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def cache_dir() -> Path:
    return Path(os.environ.get("ROUNDS_MEDIA_CACHE", Path(tempfile.gettempdir()) / "rounds-media"))


def _cached(ffmpeg: str, args: list[str], suffixes: Sequence[str]) -> list[Path]:
    """Run ``ffmpeg args`` writing ``{0}``, ``{1}``... (one per suffix) unless a run with the
    same arguments already left its files in the cache."""
    key = hashlib.sha1(json.dumps(args).encode(), usedforsecurity=False).hexdigest()[:16]
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    finals = [folder / f"{key}-{n}{suffix}" for n, suffix in enumerate(suffixes)]
    if all(p.exists() for p in finals):
        return finals
    temps = [p.with_name(f".{os.getpid()}-{p.name}") for p in finals]
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
               *(a.format(*map(str, temps)) for a in args)]
    done = subprocess.run(command, capture_output=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {done.stderr.decode(errors='replace')[-800:]}")
    for temp, final in zip(temps, finals, strict=True):
        os.replace(temp, final)
    return finals


def _video_codec_args(codec: str, width: int, height: int, fps: int, gop: int) -> list[str]:
    kbps = max(150, int(width * height * fps * 0.07 / 1000))
    if codec == "h264":
        return ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-bf", "0",
                "-profile:v", "baseline", "-g", str(gop), "-keyint_min", str(gop),
                "-sc_threshold", "0", "-b:v", f"{kbps}k", "-x264-params", "repeat-headers=1",
                "-f", "h264"]
    return ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-threads", "2",
            "-b:v", f"{kbps}k", "-g", str(gop), "-keyint_min", str(gop), "-auto-alt-ref", "0",
            "-lag-in-frames", "0", "-error-resilient", "1", "-f", "webm"]


def _opus_args() -> list[str]:
    return ["-ac", "1", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20",
            "-application", "voip", "-f", "ogg"]


def encode_camera(ffmpeg: str, codec: str, width: int, height: int, fps: int, gop: int,
                  seconds: float, hue: int) -> Path:
    source = f"testsrc2=size={width}x{height}:rate={fps},hue=h={hue}"
    return _cached(ffmpeg, ["-f", "lavfi", "-i", source, "-t", f"{seconds:g}",
                            "-pix_fmt", "yuv420p",
                            *_video_codec_args(codec, width, height, fps, gop), "{0}"],
                   [".video"])[0]


def encode_tone(ffmpeg: str, frequency: float, seconds: float) -> Path:
    source = f"sine=frequency={frequency:g}:sample_rate={AUDIO_CLOCK}"
    return _cached(ffmpeg, ["-f", "lavfi", "-i", source, "-t", f"{seconds:g}",
                            *_opus_args(), "{0}"], [".ogg"])[0]


def encode_avsync(ffmpeg: str, codec: str, width: int, height: int, fps: int, gop: int,
                  seconds: float) -> tuple[Path, Path]:
    graph = f"avsynctest=s={width}x{height}:fr={fps}:sr={AUDIO_CLOCK}:d={seconds:g}[a][v]"
    video, audio = _cached(
        ffmpeg,
        ["-filter_complex", graph, "-map", "[v]", "-pix_fmt", "yuv420p",
         *_video_codec_args(codec, width, height, fps, gop), "{0}",
         "-map", "[a]", *_opus_args(), "{1}"],
        [".video", ".ogg"],
    )
    return video, audio


@dataclass(frozen=True)
class _Clip:
    frames: list[bytes]
    keyframes: list[bool]
    pre_skip: int = 0


def load_clip(path: Path, codec: str) -> _Clip:
    import av

    frames: list[bytes] = []
    keys: list[bool] = []
    pre_skip = 0
    with av.open(str(path), format="h264" if codec == "h264" else None) as container:
        stream = container.streams[0]
        extradata = stream.codec_context.extradata
        if stream.type == "audio" and extradata and extradata[:8] == b"OpusHead":
            pre_skip = struct.unpack_from("<H", extradata, 10)[0]
        for packet in container.demux(stream):
            if packet.size:
                frames.append(bytes(packet))
                keys.append(bool(packet.is_keyframe))
    if codec == "h264":  # the raw demuxer's key flags are unreliable: look for an IDR
        keys = [any(n[0] & 0x1F == 5 for n in _annexb_units(f)) for f in frames]
    return _Clip(frames, keys, pre_skip)


def _annexb_units(data: bytes) -> list[bytes]:
    return [u.rstrip(b"\x00") for u in re.split(rb"\x00\x00\x01", data) if u.strip(b"\x00")]


# -- packetizing -----------------------------------------------------------------------------

def _rtp(pt: int, marker: bool, seq: int, ts: int, ssrc: int, payload: bytes,
         extension: bytes) -> bytes:
    header = struct.pack("!BBHII", 0x90, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                         ts & 0xFFFFFFFF, ssrc)
    return header + struct.pack("!HH", 0xBEDE, len(extension) // 4) + extension + payload


def vp8_payloads(frame: bytes, picture_id: int) -> list[bytes]:
    chunk = MTU_PAYLOAD - 4
    pid = bytes([0x80 | ((picture_id >> 8) & 0x7F), picture_id & 0xFF])
    return [bytes([0x90 if at == 0 else 0x80, 0x80]) + pid + frame[at : at + chunk]
            for at in range(0, len(frame), chunk)]


def h264_payloads(frame: bytes) -> list[bytes]:
    out: list[bytes] = []
    pending: list[bytes] = []

    def flush() -> None:
        if len(pending) == 1:
            out.append(pending[0])
        elif pending:
            nri = max(u[0] & 0x60 for u in pending)
            out.append(bytes([nri | 24]) + b"".join(struct.pack("!H", len(u)) + u
                                                     for u in pending))
        pending.clear()

    for unit in _annexb_units(frame):
        if len(unit) > MTU_PAYLOAD:
            flush()
            indicator = (unit[0] & 0xE0) | 28
            body = unit[1:]
            chunk = MTU_PAYLOAD - 2
            for at in range(0, len(body), chunk):
                flags = (0x80 if at == 0 else 0) | (0x40 if at + chunk >= len(body) else 0)
                out.append(bytes([indicator, flags | (unit[0] & 0x1F)]) + body[at : at + chunk])
        elif sum(len(u) + 2 for u in pending) + len(unit) + 3 > MTU_PAYLOAD:
            flush()
            pending.append(unit)
        else:
            pending.append(unit)
    flush()
    return out


@dataclass
class _Sender:
    """One participant's clock: its RTP and NTP times run on ``media`` seconds since its
    first capture; the SFU's wall clock reads ``wall0 + media * (1 - skew)`` then."""

    wall0: float
    skew: float
    ntp0: float
    rng: random.Random
    jitter: float

    def wall(self, media: float) -> float:
        return self.wall0 + media * (1.0 - self.skew)

    def delay(self) -> float:
        return 0.012 + self.rng.expovariate(1.0 / self.jitter) if self.jitter > 0 else 0.012


def _sender_reports(sender: _Sender, ts0: int, rate: int, start: float, end: float,
                    ) -> list[tuple[float, bytes]]:
    """A report a second from media time ``start`` to ``end``: NTP and RTP time of one
    instant, as the publisher's RTCP says it."""
    out = []
    media = start + sender.rng.uniform(0.0, 1.0)
    while media < end:
        ntp = sender.ntp0 + media
        ntp64 = int(ntp) << 32 | int((ntp % 1.0) * 2**32)
        arrival = sender.wall(media) + sender.delay()
        out.append((arrival, encode_sender_report(arrival, ntp64, ts0 + round(media * rate))))
        media += 1.0
    return out


def _write_track(path: Path, header: TrackHeader, records: list[tuple[float, bytes]]) -> None:
    records.sort(key=lambda r: r[0])
    with open(path, "wb") as fh:
        fh.write(encode_header(header))
        fh.writelines(r for _, r in records)


def _active(intervals: list[tuple[float, float]], t: float) -> bool:
    return any(a <= t < b for a, b in intervals)


def _ids(rng: random.Random) -> tuple[int, int, int]:
    """SSRC, first sequence number, first timestamp."""
    return rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(32)


def generate_recording(
    directory: Path,
    *,
    seconds: float,
    participants: int = 3,
    width: int = 640,
    height: int = 480,
    fps: int = 30,
    ffmpeg: str | None = None,
    joins: Sequence[float] = (),
    leaves: Mapping[int, float] | None = None,
    mute: Mute | None = None,
    share: Share | None = None,
    missing_keyframes: Mapping[int, int] | None = None,
    avsync: int | None = None,
    video_codec: Literal["vp8", "h264"] = "vp8",
    frequencies: Sequence[float] = FREQUENCIES,
    gop_seconds: float = 2.0,
    speaker_period: float = 6.0,
    video_delay: float = 0.05,
    jitter: float = 0.004,
    loss: float = 0.0,
    skews_ppm: Sequence[float] = (0.0, 40.0, -30.0),
    seed: int = 1,
    loop_seconds: float = 60.0,
    crash: bool = False,
    resize: tuple[int, float] | None = None,
) -> GeneratedRecording:
    """Write a raw recording of ``participants`` people into ``directory`` (created).

    ``joins``: seconds after the start at which participant i joins (default 0); ``leaves``:
    participant index to the second they leave; ``mute``: one muted interval; ``share``: one
    screen share; ``missing_keyframes``: participant index to how many of their first
    keyframes the recorder missed (-1: all of them); ``avsync``: the participant whose camera
    and microphone carry FFmpeg's ``avsynctest`` (a flash with each beep) instead of
    ``testsrc2`` and a tone; ``crash``: no stop time, no final events (a killed server);
    ``resize``: (participant, second) from which their camera sends half the size.
    """
    ffmpeg = ffmpeg or ffmpeg_exe()
    rng = random.Random(seed)  # noqa: S311 - reproducible test media, not secrets
    directory.mkdir(parents=True, exist_ok=True)
    (directory / TRACKS).mkdir(exist_ok=True)
    gop = max(1, round(gop_seconds * fps))
    loop = min(loop_seconds, math.ceil(seconds / 6.0) * 6.0)
    leaves = dict(leaves or {})
    missing = dict(missing_keyframes or {})
    t0 = STARTED_AT + seed
    recording_id = f"rec-{seed:04d}"
    events: list[dict[str, Any]] = [{"t": t0, "type": "recording_started",
                                     "recording_id": recording_id}]
    people: list[GeneratedParticipant] = []
    for index in range(participants):
        join = float(joins[index]) if index < len(joins) else 0.0
        leave = min(float(leaves.get(index, seconds)), seconds)
        pid = f"PA_{index}_{rng.getrandbits(24):06x}"
        name = NAMES[index % len(NAMES)]
        skew = (skews_ppm[index % len(skews_ppm)] if skews_ppm else 0.0) * 1e-6
        sender = _Sender(t0 + join, skew, t0 + NTP_EPOCH_OFFSET + rng.uniform(-500, 500),
                         rng, jitter)
        muted: dict[str, list[tuple[float, float]]] = {"audio": [], "video": []}
        if mute is not None and mute.participant == index:
            for muted_kind in mute.kinds:
                muted[muted_kind].append((mute.start, mute.end))
        person = GeneratedParticipant(index, pid, name, join, leave,
                                      float(frequencies[index % len(frequencies)]),
                                      avsync == index)
        people.append(person)
        events.append({"t": t0 + join, "type": "participant_joined", "participant_id": pid,
                       "user_id": 100 + index, "display_name": name,
                       "role": "host" if index == 0 else "participant"})
        if person.avsync:
            video_clip, audio_clip = encode_avsync(ffmpeg, video_codec, width, height, fps,
                                                   gop, loop)
        else:
            video_clip = encode_camera(ffmpeg, video_codec, width, height, fps, gop, loop,
                                       hue=(index * 97) % 360)
            audio_clip = encode_tone(ffmpeg, person.frequency, loop)
        plans = [("microphone", audio_clip, join, leave, muted["audio"]),
                 ("camera", video_clip, join, leave, muted["video"])]
        if share is not None and share.participant == index:
            screen_clip = encode_camera(ffmpeg, video_codec, share.width, share.height, fps,
                                        gop, loop, hue=180)
            plans.append(("screen", screen_clip, max(share.start, join),
                          min(share.end, leave), []))
        for source, clip_path, start, end, off in plans:
            kind: Literal["audio", "video"] = "audio" if source == "microphone" else "video"
            track_id = f"TR_{source[:3]}_{index}_{rng.getrandbits(24):06x}"
            header = TrackHeader(
                track_id=track_id, kind=kind, source=source,  # type: ignore[arg-type]
                mime_type="audio/opus" if kind == "audio" else
                ("video/H264" if video_codec == "h264" else "video/VP8"),
                clock_rate=AUDIO_CLOCK if kind == "audio" else VIDEO_CLOCK,
                payload_type=111 if kind == "audio" else (102 if video_codec == "h264" else 96),
                channels=2 if kind == "audio" else 1, started_at=t0 + start,
                participant_id=pid, display_name=name, user_id=100 + index,
            )
            clip = load_clip(clip_path, video_codec if kind == "video" else "opus")
            switch = None
            if resize is not None and resize[0] == index and source == "camera":
                smaller = encode_camera(ffmpeg, video_codec, width // 2 // 2 * 2,
                                        height // 2 // 2 * 2, fps, gop, loop, hue=90)
                switch = (resize[1], load_clip(smaller, video_codec))
            ssrc, seq0, ts0 = _ids(rng)
            if index == 1:  # wrap early: timestamps after about 2 s, sequence numbers soon
                ts0 = (1 << 32) - 2 * header.clock_rate
                seq0 = 65_536 - 40
            media_start = start - join
            if kind == "audio":
                per_loop = min(len(clip.frames), round(loop * AUDIO_CLOCK / OPUS_FRAME))
                records = _audio_records(sender, clip, per_loop, ssrc, seq0, ts0, media_start,
                                         end - join, join, off)
            else:
                records = _video_records(sender, clip, video_codec, fps, gop, ssrc, seq0, ts0,
                                         media_start, end - join, join, off, video_delay,
                                         missing.get(index, 0) if source == "camera" else 0,
                                         loss, switch if source == "camera" else None)
            packets = len(records)
            records += _sender_reports(sender, ts0, header.clock_rate, media_start,
                                       end - join)
            _write_track(directory / TRACKS / f"{track_id}.rtp", header, records)
            person.tracks[source] = GeneratedTrack(
                track_id, kind, source, directory / TRACKS / f"{track_id}.rtp",  # type: ignore[arg-type]
                clip_path, start, skew, packets,
            )
            events.append({"t": t0 + start, "type": "track_published", "participant_id": pid,
                           "track_id": track_id, "kind": kind, "source": source})
            if end < seconds and not crash:
                events.append({"t": t0 + end, "type": "track_unpublished",
                               "participant_id": pid, "track_id": track_id, "kind": kind,
                               "source": source})
        for muted_kind, spans in muted.items():
            for a, b in spans:
                events.append({"t": t0 + a, "type": "mute_changed", "participant_id": pid,
                               "kind": muted_kind, "muted": True})
                events.append({"t": t0 + b, "type": "mute_changed", "participant_id": pid,
                               "kind": muted_kind, "muted": False})
        if leave < seconds:
            events.append({"t": t0 + leave, "type": "participant_left", "participant_id": pid,
                           "reason": "left"})
    events += _speaker_events(people, mute, seconds, speaker_period, t0)
    if not crash:
        events.append({"t": t0 + seconds, "type": "recording_stopped"})
    events.sort(key=lambda e: e["t"])
    with open(directory / EVENTS, "w") as fh:
        fh.writelines(json.dumps(e, separators=(",", ":")) + "\n" for e in events)
    manifest: dict[str, Any] = {"recording_id": recording_id, "room_id": "room-bench",
                                "started_at": t0, "layout": "presenter"}
    if not crash:
        manifest["stopped_at"] = t0 + seconds
    write_json_atomically(directory / MANIFEST, manifest)
    return GeneratedRecording(directory, recording_id, t0, seconds, fps, width, height, loop,
                              people, share, mute)


def _audio_records(sender: _Sender, clip: _Clip, per_loop: int, ssrc: int, seq0: int,
                   ts0: int, media_start: float, media_end: float, join: float,
                   muted: list[tuple[float, float]]) -> list[tuple[float, bytes]]:
    """Packet k decodes to the clip's samples from ``k * 960 - pre_skip`` (Opus encoders
    prepend ``pre_skip`` samples), so its RTP time is that instant's."""
    out = []
    seq = seq0
    k = math.floor((media_start * AUDIO_CLOCK + clip.pre_skip) / OPUS_FRAME)
    while True:
        offset = k * OPUS_FRAME - clip.pre_skip
        media = offset / AUDIO_CLOCK
        if media + 0.02 > media_end:
            break
        payload = clip.frames[k % per_loop]
        k += 1
        if _active(muted, join + media):
            continue
        level = 30 + sender.rng.randrange(10)
        packet = _rtp(111, False, seq, ts0 + offset, ssrc, payload,
                      bytes([0x10, 0x80 | level, 0, 0]))
        seq += 1
        arrival = sender.wall(media + 0.02) + sender.delay()
        out.append((arrival, encode_rtp(arrival, packet)))
    return out


def _video_records(sender: _Sender, clip: _Clip, codec: str, fps: int, gop: int, ssrc: int,
                   seq0: int, ts0: int, media_start: float, media_end: float, join: float,
                   muted: list[tuple[float, float]], video_delay: float, missing: int,
                   loss: float, switch: tuple[float, _Clip] | None = None,
                   ) -> list[tuple[float, bytes]]:
    """Frames of ``clip`` (looped) from ``media_start`` to ``media_end``; after a mute the
    sender resumes at a keyframe; ``switch``: from that session second on, at the next
    keyframe, the frames come from another clip (a resolution change)."""
    out = []
    seq = seq0
    frames = len(clip.frames)
    need_key = False
    k = 0
    while True:
        media = media_start + k / fps
        if media + 1e-9 >= media_end:
            break
        local = k % frames
        k += 1
        if _active(muted, join + media):
            need_key = True
            continue
        if need_key and not clip.keyframes[local]:
            continue
        need_key = False
        if switch is not None and join + media >= switch[0] and switch[1].keyframes[local]:
            clip, switch = switch[1], None
        frame = clip.frames[local]
        payloads = h264_payloads(frame) if codec == "h264" else vp8_payloads(frame, k & 0x7FFF)
        drop = clip.keyframes[local] and missing != 0
        if drop and missing > 0:
            missing -= 1
        ts = ts0 + round(media * VIDEO_CLOCK)
        wall = sender.wall(media) + video_delay
        for i, payload in enumerate(payloads):
            send = int((wall + i * 0.0003) * 262_144)  # abs-send-time: 6.18 fixed point
            extension = bytes([0x32]) + (send & 0xFFFFFF).to_bytes(3, "big")
            packet = _rtp(102 if codec == "h264" else 96, i == len(payloads) - 1, seq, ts, ssrc,
                          payload, extension)
            seq += 1
            if drop or (loss and sender.rng.random() < loss):
                continue
            arrival = wall + i * 0.0003 + sender.delay()
            out.append((arrival, encode_rtp(arrival, packet)))
    return out


def _speaker_events(people: list[GeneratedParticipant], mute: Mute | None, seconds: float,
                    period: float, t0: float) -> list[dict[str, Any]]:
    """Speakers take turns every ``period`` among those present and not muted."""
    out: list[dict[str, Any]] = []
    current: str | None = None
    turn = 0
    t = 0.0
    while t < seconds:
        present = [p for p in people if p.join <= t < p.leave and not (
            mute is not None and mute.participant == p.index and "audio" in mute.kinds
            and mute.start <= t < mute.end)]
        speaker = present[turn % len(present)].participant_id if present else None
        if speaker != current:
            out.append({"t": t0 + t, "type": "active_speaker", "participant_id": speaker})
            current = speaker
        turn += 1
        t += period
    return out
