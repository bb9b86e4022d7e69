"""Loopback SFU fixtures and aiortc clients that play browsers.

The clients are instrumented here, and only here: they record the clear RTP and RTCP they
receive (after aiortc's own SRTP unprotect, by wrapping their DTLS transport's handlers), can
send raw RTCP, and can vanish without a word (their sockets closed under them). Pure
subscribers may skip decoding: their receivers are parked with the SFU's own shim and they
count packets from the clear headers, as load generators should.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import struct
import time
from array import array
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from aiortc import (
    AudioStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

from media.events import MediaEvent
from media.sfu import Grants, Participant, ParticipantInfo, Sfu, SfuConfig
from media.sfu import _aiortc_shim as shim
from media.sfu.rtcp import RtcpPacket, iter_packets

LOOPBACK = "127.0.0.1"
E = TypeVar("E")


def sfu_config(**overrides: Any) -> SfuConfig:
    """Loopback only, quick RTCP; everything else as in production unless overridden."""
    settings: dict[str, Any] = {
        "host_addresses": (LOOPBACK,),
        "rtcp_interval": 0.4,
        "speaker_interval": 0.2,
        "peer_timeout": 10.0,
    }
    settings.update(overrides)
    return SfuConfig(**settings)


class EventLog:
    """An event sink that remembers, and lets a test wait for an event."""

    def __init__(self) -> None:
        self.items: list[MediaEvent] = []

    def __call__(self, event: MediaEvent) -> None:
        self.items.append(event)

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.items if isinstance(e, kind)]

    async def wait_for(
        self, kind: type[E], where: Callable[[E], bool] = lambda e: True, within: float = 8.0
    ) -> E:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for event in self.of(kind):
                if where(event):
                    return event
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {kind.__name__} within {within}s; got {self.items}")


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
async def sfu(events: EventLog) -> AsyncIterator[Sfu]:
    server = Sfu(sfu_config(), events)
    yield server
    await server.close()


async def eventually(check: Callable[[], bool], within: float = 8.0, what: str = "") -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


def info(name: str, **grants: bool) -> ParticipantInfo:
    return ParticipantInfo(
        user_id=name, display_name=name.title(), role="attendee", grants=Grants(**grants)
    )


# -- generated media --------------------------------------------------------------------------
_TONE = array(
    "h", (int(12000 * math.sin(2 * math.pi * 400 * i / 8000)) for i in range(160))
).tobytes()


class ToneTrack(AudioStreamTrack):
    """20 ms frames at 8 kHz: a loud tone, or silence when ``loud`` is False."""

    def __init__(self, loud: bool = True) -> None:
        super().__init__()
        self.loud = loud

    async def recv(self) -> AudioFrame:
        frame = await super().recv()
        assert isinstance(frame, AudioFrame)
        if self.loud:
            frame.planes[0].update(_TONE)
        return frame


class PatternTrack(VideoStreamTrack):
    """Small, changing frames at a modest rate, so encoding stays cheap on two cores."""

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._count = 0
        self._origin: float | None = None

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._origin is None:
            self._origin = time.time()
        else:
            wait = self._origin + self._count / self.fps - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = VideoFrame(width=self.width, height=self.height)
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([(self._count * 7 + i * 60) % 256]) * plane.buffer_size)
        frame.pts = int(self._count * 90000 / self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self._count += 1
        return frame


# -- clients ----------------------------------------------------------------------------------
@dataclass
class Received:
    """One clear RTP packet a client received."""

    ssrc: int
    pt: int
    seq: int
    ts: int
    at: float
    marker: bool
    data: bytes


@dataclass
class Client:
    """An aiortc peer in the role of a browser."""

    name: str
    audio: bool = False
    video: bool = False
    video_codec: str = "VP8"
    decode: bool = True
    loud: bool = True
    pc: RTCPeerConnection = field(init=False)
    packets: Counter[int] = field(default_factory=Counter)
    received: list[Received] = field(default_factory=list)
    rtcp: list[tuple[float, RtcpPacket]] = field(default_factory=list)
    remote_tracks: list[Any] = field(default_factory=list)
    participant: Participant | None = None
    _answering: asyncio.Task[None] | None = None
    _endpoint: shim.RtpEndpoint | None = None
    _tapped: bool = False
    keep_packets: bool = True

    def __post_init__(self) -> None:
        # max-bundle, as browsers behave (aiortc's "balanced" strands a second new m-line of
        # one kind on a transport that BUNDLE then discards)
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.audio_track = ToneTrack(self.loud) if self.audio else None
        self.video_track = PatternTrack() if self.video else None
        if self.audio_track is not None:
            self.pc.addTransceiver(self.audio_track, direction="sendonly")
        if self.video_track is not None:
            transceiver = self.pc.addTransceiver(self.video_track, direction="sendonly")
            if self.video_codec != "VP8":
                wanted = [
                    c for c in RTCRtpSender.getCapabilities("video").codecs
                    if c.mimeType.lower() in (f"video/{self.video_codec.lower()}", "video/rtx")
                ]
                transceiver.setCodecPreferences(wanted)
        if not self.audio and not self.video:
            self.pc.addTransceiver("audio", direction="recvonly")  # a viewer's first offer
        self.pc.on("track", self.remote_tracks.append)

    async def offer(self) -> str:
        shim.restrict_gathering(self.pc, [LOOPBACK], None)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def join(
        self,
        participant: Participant,
        connect: bool = True,
        munge: Callable[[str], str] | None = None,
    ) -> None:
        """First offer, answer, then keep answering the SFU's offers. ``munge`` edits the
        offer on its way (aiortc, like browsers, then uses what the answer echoes)."""
        self.participant = participant
        offer = await self.offer()
        answer = await participant.handle_offer(munge(offer) if munge else offer)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        self._tap()
        self._answering = asyncio.get_running_loop().create_task(self._answer(participant))
        if connect:
            await eventually(
                lambda: participant.state == "connected", what=f"{self.name} connected"
            )

    async def _answer(self, participant: Participant) -> None:
        async for offer in participant.offers():
            await self.pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            if not self.decode:
                for transceiver in self.pc.getTransceivers():
                    shim.park(transceiver)
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            await participant.handle_answer(str(self.pc.localDescription.sdp))

    def _tap(self) -> None:
        if self._tapped:
            return
        self._tapped = True
        dtls = self.pc.getTransceivers()[0].receiver.transport
        if not self.decode:
            self._endpoint = shim.RtpEndpoint(self.pc, self._count_view, self._record_rtcp)

            def start(*_: object) -> None:
                if self.pc.connectionState == "connected" and self._endpoint is not None:
                    self._endpoint.start()

            self.pc.on("connectionstatechange", start)
            return
        original_rtp = dtls._handle_rtp_data
        original_rtcp = dtls._handle_rtcp_data

        async def rtp(data: bytes, arrival_time_ms: int) -> None:
            self._count(data)
            await original_rtp(data, arrival_time_ms)

        async def rtcp(data: bytes) -> None:
            self._record_rtcp(data)
            await original_rtcp(data)

        dtls._handle_rtp_data = rtp  # type: ignore[method-assign]
        dtls._handle_rtcp_data = rtcp  # type: ignore[method-assign]

    def _count_view(self, buffer: memoryview, n: int) -> None:
        self._count(bytes(buffer[:n]))

    def _count(self, data: bytes) -> None:
        seq, ts, ssrc = struct.unpack_from("!HII", data, 2)
        self.packets[ssrc] += 1
        if self.keep_packets:
            self.received.append(
                Received(ssrc, data[1] & 0x7F, seq, ts, time.time(), bool(data[1] & 0x80), data)
            )

    def _record_rtcp(self, data: bytes) -> None:
        now = time.time()
        self.rtcp.extend((now, packet) for packet in iter_packets(data))

    async def send_rtcp(self, data: bytes) -> None:
        dtls = self.pc.getTransceivers()[0].receiver.transport
        await dtls._send_rtp(data)

    def total(self) -> int:
        return sum(self.packets.values())

    def sender_ssrc(self, kind: str) -> int:
        """The SSRC this client sends its own audio or video with."""
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == kind and transceiver.sender.track is not None:
                return int(transceiver.sender._ssrc)
        raise LookupError(kind)

    def receiving_ssrcs(self, kind: str) -> list[int]:
        """The SSRCs the SFU announced for what this client receives."""
        return [
            s.ssrc
            for t in self.pc.getTransceivers()
            if t.kind == kind and t.currentDirection in ("recvonly", "sendrecv")
            for s in self._remote_ssrcs(t.mid)[:1]
        ]

    def _remote_ssrcs(self, mid: str | None) -> list[Any]:
        from aiortc.sdp import SessionDescription

        description = SessionDescription.parse(self.pc.remoteDescription.sdp)
        return next((m.ssrc for m in description.media if m.rtp.muxId == mid), [])

    def vanish(self) -> None:
        """Gone without a word: the client's sockets close under it, nothing is sent."""
        connection = self.pc.getTransceivers()[0].receiver.transport.transport._connection
        for protocol in connection._protocols:
            protocol.transport.abort()

    async def close(self) -> None:
        if self._answering is not None:
            self._answering.cancel()
        if self._endpoint is not None:
            self._endpoint.close()
        await self.pc.close()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(name: str, **options: Any) -> Client:
        client = Client(name, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()
