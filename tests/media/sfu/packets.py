"""Building RTP packets and fakes for the unit tests (no network)."""

from __future__ import annotations

import struct

import structlog
from aiortc import RTCRtpCodecParameters
from aiortc.rtcrtpparameters import RTCRtcpFeedback

from media.sfu._aiortc_shim import NegotiatedMedia
from media.sfu.publisher import PublishedTrack, Publisher
from media.sfu.rewrite import URI_ABS_SEND_TIME, URI_AUDIO_LEVEL, URI_MID

VP8_KEY = bytes([0x10, 0x00, 0x9D, 0x01, 0x2A])  # S=1, PID 0; P bit clear: a keyframe start
VP8_DELTA = bytes([0x10, 0x01, 0x00, 0x00])  # S=1, PID 0; P bit set
VP8_MIDDLE = bytes([0x00, 0xAA, 0xBB])  # not a partition start


def one_byte_extensions(elements: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(bytes([(i << 4) | (len(v) - 1)]) + v for i, v in elements)
    body += b"\x00" * (-len(body) % 4)
    return struct.pack("!HH", 0xBEDE, len(body) // 4) + body


def rtp(
    seq: int,
    ts: int,
    ssrc: int,
    pt: int = 96,
    payload: bytes = b"\x00" * 20,
    marker: bool = False,
    extensions: list[tuple[int, bytes]] | None = None,
) -> bytes:
    b0 = 0x80 | (0x10 if extensions else 0)
    header = struct.pack("!BBHII", b0, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    if extensions:
        header += one_byte_extensions(extensions)
    return header + payload


def fields(packet: bytes) -> tuple[int, int, int, int]:
    """(pt, seq, ts, ssrc)"""
    seq, ts, ssrc = struct.unpack_from("!HII", packet, 2)
    return packet[1] & 0x7F, seq, ts, ssrc


class FakeEndpoint:
    """Stands in for RtpEndpoint: keeps what would have been protected and sent."""

    def __init__(self) -> None:
        self.buffer = bytearray(1500)
        self.out = memoryview(self.buffer)
        self.ready = True
        self.sent: list[bytes] = []
        self.rtcp: list[bytes] = []

    def send_rtp(self, n: int) -> None:
        self.sent.append(bytes(self.out[:n]))

    def send_rtcp(self, data: bytes) -> None:
        self.rtcp.append(data)


VP8 = RTCRtpCodecParameters(
    mimeType="video/VP8",
    clockRate=90000,
    payloadType=96,
    rtcpFeedback=[RTCRtcpFeedback("nack"), RTCRtcpFeedback("nack", "pli")],
)
VP8_RTX = RTCRtpCodecParameters(
    mimeType="video/rtx", clockRate=90000, payloadType=97, parameters={"apt": 96}
)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)

PUBLISHER_EXTENSIONS = {URI_AUDIO_LEVEL: 1, URI_ABS_SEND_TIME: 2, URI_MID: 4}


def published(
    kind: str = "video",
    pt: int = 96,
    ssrc: int = 0x1111,
    extensions: dict[str, int] | None = None,
    sent: list[bytes] | None = None,
    source: str | None = None,
    nack: bool = False,
) -> PublishedTrack:
    """A published track; with ``nack``, the publisher takes NACKs and sends RTX (pt + 1,
    SSRC + 1)."""
    codec = RTCRtpCodecParameters(
        mimeType=VP8.mimeType if kind == "video" else OPUS.mimeType,
        clockRate=90000 if kind == "video" else 48000,
        channels=None if kind == "video" else 2,
        payloadType=pt,
        rtcpFeedback=[RTCRtcpFeedback("nack")] if nack else [],
    )
    negotiated: tuple[RTCRtpCodecParameters, ...] = (codec,)
    if nack:
        negotiated += (RTCRtpCodecParameters(
            "video/rtx", 90000, payloadType=pt + 1, parameters={"apt": pt}
        ),)
    rtcp = sent if sent is not None else []

    def send(data: bytes) -> bool:
        rtcp.append(data)
        return True

    track = PublishedTrack(
        publisher=Publisher("alice", send, 1_000_000, 0.5, structlog.get_logger()),
        track_id=f"t{ssrc}",
        stream_id="s",
        kind="video" if kind == "video" else "audio",
        source=source or ("camera" if kind == "video" else "microphone"),  # type: ignore[arg-type]
        mid="0",
        codecs_negotiated=negotiated,
        extension_ids=dict(PUBLISHER_EXTENSIONS if extensions is None else extensions),
        local_ssrc=0xAAAA,
        ssrc=ssrc,
        rtx_ssrc=ssrc + 1 if nack else None,
        keyframe_interval=0.5,
    )
    track.publisher.add(track)
    return track


def subscriber_side(
    kind: str = "video",
    ssrc: int = 0x5555,
    rtx: bool = True,
    nack: bool = True,
    mid: str = "3",
    extensions: dict[str, int] | None = None,
) -> NegotiatedMedia:
    if kind == "video":
        feedback = [RTCRtcpFeedback("nack")] if nack else []
        codecs = [RTCRtpCodecParameters("video/VP8", 90000, payloadType=100, rtcpFeedback=feedback)]
        if rtx:
            codecs.append(RTCRtpCodecParameters(
                "video/rtx", 90000, payloadType=101, parameters={"apt": 100}
            ))
    else:
        codecs = [RTCRtpCodecParameters("audio/opus", 48000, channels=2, payloadType=109)]
    return NegotiatedMedia(
        mid=mid,
        kind=kind,
        direction="sendonly",
        codecs=tuple(codecs),
        header_extensions=dict(
            {URI_MID: 1, URI_AUDIO_LEVEL: 2, URI_ABS_SEND_TIME: 3}
            if extensions is None else extensions
        ),
        ssrc=ssrc,
        rtx_ssrc=ssrc + 1,
    )
