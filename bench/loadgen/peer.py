"""One bench participant: signaling protocol v1, an aiortc peer connection, no codec work.

Publishing: the sender's encoder is bypassed. aiortc 1.16's ``RTCRtpSender`` calls
``encoder.pack(data)`` instead of ``encode`` for anything its track returns that is not an
``av.Frame``; ``pack`` only needs ``bytes(data)``, ``data.pts`` and ``data.time_base``. So the
tracks return ``EncodedPacket``, a plain object (a fresh ``av.Packet`` per frame has been seen
to corrupt the time base with PyAV 18). Frame N of every track is due at ``t0 + N * interval``
(``time.monotonic``, which all processes of one machine share) and carries ``pts = N * ticks``,
so a subscriber can tell from an RTP timestamp which frame it holds. A PLI from the SFU makes
the video jump to the clip's next keyframe (the stream stays decodable).

Receiving: every receiver is parked (its ``receive`` replaced by a no-op: no jitter buffer, no
decoder thread). A light subscriber takes RTP straight from the ICE socket, before SRTP, and
only reads the clear header (``rtp.StreamCounter``); STUN, DTLS and RTCP go on to aioice and
aiortc as before. The late joiner needs payloads (is this a VP8 keyframe?), so it lets aiortc
remove SRTP and takes the clear packets at the DTLS transport instead.

aiortc/aioice internals touched here (aiortc 1.16, aioice 0.13), all in this module:
``RTCDtlsTransport.transport._connection._protocols`` (the ICE sockets' protocols, whose
``datagram_received`` is wrapped), ``RTCDtlsTransport._handle_rtp_data`` (late joiner),
``RTCRtpSender._send_keyframe`` (PLI hook) and ``aioice.ice.get_host_addresses`` (loopback).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import math
import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from .media import AUDIO_CLOCK, AUDIO_FRAME_SECONDS, VIDEO_CLOCK, VIDEO_FPS, Clip
from .rtp import FrameAssembly, StreamCounter, is_rtp

LOOPBACK = "127.0.0.1"


def gather_on_loopback() -> None:
    """aioice leaves loopback out of its host candidates; on this bench it is all there is."""
    import aioice.ice

    def loopback(use_ipv4: bool = True, use_ipv6: bool = False) -> list[str]:
        return [LOOPBACK]

    aioice.ice.get_host_addresses = loopback


@dataclass(frozen=True, slots=True)
class Timing:
    """How one kind of track is paced and stamped."""

    interval: float
    ticks: int
    clock: int

    @property
    def time_base(self) -> fractions.Fraction:
        return fractions.Fraction(1, self.clock)


VIDEO = Timing(1 / VIDEO_FPS, VIDEO_CLOCK // VIDEO_FPS, VIDEO_CLOCK)
AUDIO = Timing(AUDIO_FRAME_SECONDS, int(AUDIO_CLOCK * AUDIO_FRAME_SECONDS), AUDIO_CLOCK)
TIMINGS = {"video": VIDEO, "audio": AUDIO}


class EncodedPacket:
    """What a pre-encoded track hands aiortc's sender: bytes, ``pts`` and ``time_base``."""

    __slots__ = ("data", "pts", "time_base")

    def __init__(self, data: bytes, pts: int, time_base: fractions.Fraction) -> None:
        self.data = data
        self.pts = pts
        self.time_base = time_base

    def __bytes__(self) -> bytes:
        return self.data


class PreEncodedTrack(MediaStreamTrack):
    """Loops a clip in real time on the shared schedule ``t0 + N * interval``."""

    def __init__(self, kind: str, clip: Clip, timing: Timing, t0: float) -> None:
        super().__init__()
        self.kind = kind
        self.clip = clip
        self.timing = timing
        self.t0 = t0
        self.first_index = -1
        self._index = -1
        self._position = 0
        self._keyframe_wanted = False
        self.lags = array("d")
        """Seconds between each frame's due time and its hand-over to the sender."""
        self.keyframe_indices: list[int] = []
        """The frame indices (N) that carried a keyframe."""
        self._keyframe_positions = frozenset(clip.keyframes)
        self.keyframe_requests = 0

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        self._keyframe_wanted = True

    async def recv(self) -> EncodedPacket:
        if self.readyState != "live":
            raise MediaStreamError
        timing = self.timing
        if self._index < 0:
            ahead = (time.monotonic() - self.t0) / timing.interval
            self._index = self.first_index = max(0, math.ceil(ahead))
        index = self._index
        self._index += 1
        due = self.t0 + index * timing.interval
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            self._position = self.clip.next_keyframe(self._position)
        if self._position in self._keyframe_positions:
            self.keyframe_indices.append(index)
        data = self.clip.frames[self._position]
        self._position = (self._position + 1) % len(self.clip.frames)
        self.lags.append(time.monotonic() - due)
        return EncodedPacket(data, index * timing.ticks, timing.time_base)


async def _never_receive(*args: object) -> None:
    return None


def park_receivers(pc: RTCPeerConnection) -> None:
    """No receiver of this connection ever starts: nothing is depacketized or decoded."""
    for transceiver in pc.getTransceivers():
        transceiver.receiver.receive = _never_receive  # type: ignore[method-assign]


def ice_protocols(pc: RTCPeerConnection) -> list[Any]:
    transceivers = pc.getTransceivers()
    if not transceivers:
        return []
    connection = transceivers[0].receiver.transport.transport._connection
    return list(connection._protocols)


ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"


def extension_id(sdp: str, uri: str) -> int:
    """The id an SDP gives a header extension (the first one found), or 0."""
    for line in sdp.splitlines():
        if line.startswith("a=extmap:") and line.rstrip().endswith(" " + uri):
            value = line[len("a=extmap:"):].split(" ", 1)[0].split("/", 1)[0]
            if value.isdigit():
                return int(value)
    return 0


def ssrc_table(sdp: str) -> dict[int, tuple[str, str]]:
    """SSRC -> (kind, msid stream id) of what the remote side announced it sends."""
    from aiortc.sdp import SessionDescription

    table: dict[int, tuple[str, str]] = {}
    for media in SessionDescription.parse(sdp).media:
        stream = (media.msid or "").split(" ")[0]
        for info in media.ssrc:
            table.setdefault(info.ssrc, (media.kind, stream))
    return table


@dataclass
class Spec:
    """What one participant does."""

    name: str
    token: str
    publish: str | None = None
    """A video rendition name ('720p', '360p') to publish with Opus, or None for a viewer."""
    late: bool = False
    expect_streams: int = 1
    """Incoming streams (audio and video counted apart) that make this participant ready."""


class Participant:
    def __init__(
        self,
        spec: Spec,
        ws_url: str,
        t0: float,
        clips: dict[str, Clip],
        log: Callable[[str], None],
    ) -> None:
        self.spec = spec
        self.ws_url = ws_url
        self.t0 = t0
        self.clips = clips
        self.log = log
        self.participant_id = ""
        self.streams: dict[str, str] = {}
        """msid stream id -> participant id, from the server's 'welcome' and 'streams'."""
        self.counter = StreamCounter()
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.tracks: list[PreEncodedTrack] = []
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.errors: list[str] = []
        self.t_join = self.t_welcome = self.t_connected = -1.0
        self.t_answer = self.t_server_offer = self.t_first_rtp = -1.0
        self.connected = asyncio.Event()
        self.first_frame = asyncio.Event()
        self.first_frame_at = -1.0
        self._assemblies: dict[int, FrameAssembly] = {}
        self._kinds: dict[int, str] = {}
        self._hooked: set[int] = set()
        self._closed = False
        self.pc.on("connectionstatechange", self._on_state)

    # -- joining ---------------------------------------------------------------------------
    async def join(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.ws_url, max_size=None, open_timeout=20)
        self.t_join = time.monotonic()
        await self._send({"type": "join", "token": self.spec.token})
        welcome = await self._expect("welcome")
        self.t_welcome = time.monotonic()
        self.participant_id = welcome.get("participant_id", "")
        self.streams.update(welcome.get("streams") or {})
        tracks: dict[str, str] = {}
        if self.spec.publish:
            audio = PreEncodedTrack("audio", self.clips["opus"], AUDIO, self.t0)
            video = PreEncodedTrack("video", self.clips[self.spec.publish], VIDEO, self.t0)
            for track, source in ((audio, "microphone"), (video, "camera")):
                transceiver = self.pc.addTransceiver(track, direction="sendonly")
                self._hook_keyframe_requests(transceiver, track)
                self.tracks.append(track)
                tracks[track.id] = source
        else:
            self.pc.addTransceiver("audio", direction="recvonly")  # a viewer's first offer
        park_receivers(self.pc)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        if self.spec.late:
            self._tap_clear_rtp()
        else:
            self._hook_sockets()
        await self._send({"type": "offer", "sdp": self.pc.localDescription.sdp, "tracks": tracks})
        self.reader = asyncio.get_running_loop().create_task(self._read())

    def _hook_keyframe_requests(
        self, transceiver: RTCRtpTransceiver, track: PreEncodedTrack
    ) -> None:
        if track.kind == "video":
            transceiver.sender._send_keyframe = track.request_keyframe  # type: ignore[method-assign]

    async def _send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def _expect(self, kind: str, within: float = 20.0) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                message = json.loads(await self.ws.recv())
                if message.get("type") == kind:
                    return dict(message)
                if message.get("type") == "error":
                    raise RuntimeError(f"{self.spec.name}: {message}")

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "answer":
                    if self.t_answer < 0:
                        self.t_answer = time.monotonic()
                    await self.pc.setRemoteDescription(
                        RTCSessionDescription(message["sdp"], "answer")
                    )
                elif kind == "offer":
                    if self.t_server_offer < 0:
                        self.t_server_offer = time.monotonic()
                    await self.pc.setRemoteDescription(
                        RTCSessionDescription(message["sdp"], "offer")
                    )
                    self.counter.send_time_id = extension_id(message["sdp"], ABS_SEND_TIME)
                    park_receivers(self.pc)
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self._send({"type": "answer", "sdp": self.pc.localDescription.sdp})
                elif kind == "streams":
                    self.streams.update(message.get("streams") or {})
                elif kind == "error":
                    self.errors.append(str(message.get("message", message))[:200])
        except Exception as exc:
            if not self._closed:
                self.errors.append(f"signaling: {exc!r}"[:200])

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected" and not self.connected.is_set():
            self.t_connected = time.monotonic()
            self.connected.set()
        elif self.pc.connectionState == "failed":
            self.errors.append("connection failed")

    # -- receiving -------------------------------------------------------------------------
    def _hook_sockets(self) -> None:
        counter_rtp = self.counter.on_rtp
        monotonic = time.monotonic
        for protocol in ice_protocols(self.pc):
            if id(protocol) in self._hooked:
                continue
            self._hooked.add(id(protocol))
            original = protocol.datagram_received

            def datagram_received(
                data: bytes, addr: Any, _original: Callable[[bytes, Any], None] = original
            ) -> None:
                if len(data) >= 12 and 127 < data[0] < 192 and not 191 < data[1] < 224:
                    counter_rtp(data, monotonic())
                else:
                    _original(data, addr)

            protocol.datagram_received = datagram_received

    def _tap_clear_rtp(self) -> None:
        dtls = self.pc.getTransceivers()[0].receiver.transport

        async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
            if not is_rtp(data):
                return
            now = time.monotonic()
            self.counter.on_rtp(data, now)
            if self.t_first_rtp < 0:
                self.t_first_rtp = now
            if self.first_frame.is_set():
                return
            ssrc = int.from_bytes(data[8:12], "big")
            kind = self._kinds.get(ssrc)
            if kind is None and self.pc.remoteDescription is not None:
                self._kinds = {s: k for s, (k, _) in ssrc_table(
                    self.pc.remoteDescription.sdp).items()}
                kind = self._kinds.get(ssrc)
            if kind != "video":
                return
            assembly = self._assemblies.setdefault(ssrc, FrameAssembly())
            if assembly.on_packet(data, now):
                self.first_frame_at = now
                self.first_frame.set()

        dtls._handle_rtp_data = handle_rtp_data  # type: ignore[method-assign]

    @property
    def ready(self) -> bool:
        return self.connected.is_set() and self.counter.flowing() >= self.spec.expect_streams

    def set_window(self, start: float, end: float) -> None:
        self.counter.start = start
        self.counter.end = end

    # -- reporting -------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """Counts and frame delays per incoming stream; the publisher's own send lags."""
        table: dict[int, tuple[str, str]] = {}
        if self.pc.remoteDescription is not None:
            table = ssrc_table(self.pc.remoteDescription.sdp)
        streams = []
        for state in self.counter.streams.values():
            kind, stream_id = table.get(state.ssrc, ("", ""))
            delays: list[list[float]] = []
            timing = TIMINGS.get(kind)
            if timing is not None and state.frames:
                delays = frame_delays(state.frames, state.ref_ts, timing, self.t0)
            streams.append({
                "ssrc": state.ssrc,
                "kind": kind,
                "owner": self.streams.get(stream_id, ""),
                "received": state.received,
                "expected": state.expected,
                "packets": state.packets,
                "frames": delays,
            })
        published = {
            t.kind: {
                "first": t.first_index,
                "lags_ms": [round(x * 1000, 3) for x in t.lags],
                "keyframe_requests": t.keyframe_requests,
                "keyframes": t.keyframe_indices if t.kind == "video" else [],
            }
            for t in self.tracks
        }
        return {
            "name": self.spec.name,
            "participant_id": self.participant_id,
            "late": self.spec.late,
            "connected": self.connected.is_set(),
            "t_join": self.t_join,
            "t_welcome": self.t_welcome,
            "t_connected": self.t_connected,
            "first_frame_at": self.first_frame_at,
            "milestones": {
                "t_welcome": self.t_welcome, "t_answer": self.t_answer,
                "t_server_offer": self.t_server_offer, "t_connected": self.t_connected,
                "t_first_rtp": self.t_first_rtp, "t_first_frame": self.first_frame_at,
            },
            "streams": streams,
            "published": published,
            "errors": self.errors[:5],
        }

    async def close(self) -> None:
        self._closed = True
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self._send({"type": "leave"})
        if self.reader is not None:
            self.reader.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pc.close(), 5)
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 2)


def frame_delays(
    frames: list[tuple[int, float, int]], ref_ts: int, timing: Timing, t0: float
) -> list[list[float]]:
    """[frame index N, ms from N's due time to its first packet's arrival, ms from the SFU's
    stamp (abs-send-time, see ``rtp.StreamCounter``) to that arrival or -1] per frame.

    The SFU shifts timestamps by an unknown per-subscription offset, so the timestamp gives
    the frame index only relative to the first frame seen (k). Frame k + N0 was due at
    ``t0 + (k + N0) * interval``; every delay is at least zero and the smallest is far below
    one interval, so N0 is the floor of the smallest ``(arrival - t0) / interval - k``.
    """
    indexed = []
    for ts, arrival, sent in frames:
        steps, rest = divmod((ts - ref_ts) & 0xFFFF_FFFF, timing.ticks)
        if rest == 0:
            after = -1.0
            if sent >= 0:
                after = round(((int(arrival * 262144) - sent) & 0xFFFFFF) / 262.144, 3)
            indexed.append((steps, arrival, after))
    if not indexed:
        return []
    interval = timing.interval
    base = math.floor(min((arrival - t0) / interval - k for k, arrival, _ in indexed) + 1e-6)
    return [
        [k + base, round((arrival - t0 - (k + base) * interval) * 1000, 3), after]
        for k, arrival, after in indexed
    ]


def log_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
