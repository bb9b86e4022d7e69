"""The RTCP the SFU builds and reads (RFC 3550, 4585, 5104, draft-alvestrand-rmcat-remb).

Built: sender reports (translated per subscriber), receiver reports and REMB towards
publishers, PLI upstream, SDES CNAME. Read: compound packets from peers; sender reports from
publishers, NACK, PLI, FIR and receiver reports from subscribers. RTCP is a few packets per
second per peer, so this side of the SFU may allocate freely.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

SR = 200
RR = 201
SDES = 202
BYE = 203
RTPFB = 205
PSFB = 206

RTPFB_NACK = 1
PSFB_PLI = 1
PSFB_FIR = 4
PSFB_REMB = 15

_NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 to 1970
_HEADER = struct.Struct("!BBH")
_SENDER_INFO = struct.Struct("!IQIII")
_REPORT_BLOCK = struct.Struct("!IB3sIIII")
_FEEDBACK = struct.Struct("!II")


def ntp_from_unix(seconds: float) -> int:
    """A 64-bit NTP timestamp (32.32 fixed point, seconds since 1900)."""
    return int((seconds + _NTP_EPOCH_OFFSET) * 4_294_967_296) & 0xFFFF_FFFF_FFFF_FFFF


def ntp_now() -> int:
    return ntp_from_unix(time.time())


def ntp_to_unix(ntp: int) -> float:
    return ntp / 4_294_967_296 - _NTP_EPOCH_OFFSET


def ntp_middle(ntp: int) -> int:
    """The middle 32 bits of an NTP timestamp: the LSR field of a report block."""
    return (ntp >> 16) & 0xFFFF_FFFF


@dataclass(frozen=True, slots=True)
class ReportBlock:
    ssrc: int
    fraction_lost: int
    """Lost since the last report, as a fraction of 256."""
    cumulative_lost: int
    highest_sequence: int
    """Extended highest sequence number received (cycles << 16 | seq)."""
    jitter: int
    """Interarrival jitter in RTP timestamp units."""
    lsr: int = 0
    dlsr: int = 0
    """Delay since that sender report, in 1/65536 s."""


@dataclass(frozen=True, slots=True)
class SenderInfo:
    ssrc: int
    ntp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int


class RtcpPacket(NamedTuple):
    type: int
    fmt: int
    """The 5-bit field after V and P: reception report count, source count, or feedback
    message type (FMT), by packet type."""
    payload: bytes
    """Everything after the 4-byte header, padding removed."""


def _header(packet_type: int, count: int, length: int) -> bytes:
    return _HEADER.pack(0x80 | count, packet_type, length // 4 - 1)


def _pack_blocks(blocks: tuple[ReportBlock, ...] | list[ReportBlock]) -> bytes:
    out = bytearray()
    for b in blocks:
        lost = max(-0x800000, min(b.cumulative_lost, 0x7FFFFF)) & 0xFFFFFF
        out += _REPORT_BLOCK.pack(
            b.ssrc,
            b.fraction_lost & 0xFF,
            lost.to_bytes(3, "big"),
            b.highest_sequence & 0xFFFF_FFFF,
            b.jitter & 0xFFFF_FFFF,
            b.lsr & 0xFFFF_FFFF,
            b.dlsr & 0xFFFF_FFFF,
        )
    return bytes(out)


def pack_sr(info: SenderInfo, blocks: tuple[ReportBlock, ...] = ()) -> bytes:
    body = (
        _SENDER_INFO.pack(
            info.ssrc,
            info.ntp & 0xFFFF_FFFF_FFFF_FFFF,
            info.rtp_timestamp & 0xFFFF_FFFF,
            info.packet_count & 0xFFFF_FFFF,
            info.octet_count & 0xFFFF_FFFF,
        )
        + _pack_blocks(blocks)
    )
    return _header(SR, len(blocks), 4 + len(body)) + body


def pack_rr(ssrc: int, blocks: list[ReportBlock]) -> bytes:
    body = struct.pack("!I", ssrc) + _pack_blocks(blocks)
    return _header(RR, len(blocks), 4 + len(body)) + body


def pack_sdes_cname(ssrc: int, cname: str) -> bytes:
    text = cname.encode()[:255]
    chunk = struct.pack("!IBB", ssrc, 1, len(text)) + text + b"\x00"
    chunk += b"\x00" * (-len(chunk) % 4)
    return _header(SDES, 1, 4 + len(chunk)) + chunk


def pack_pli(sender_ssrc: int, media_ssrc: int) -> bytes:
    return _header(PSFB, PSFB_PLI, 12) + _FEEDBACK.pack(sender_ssrc, media_ssrc)


def pack_fir(sender_ssrc: int, media_ssrc: int, sequence: int) -> bytes:
    body = _FEEDBACK.pack(sender_ssrc, 0) + struct.pack("!IB3x", media_ssrc, sequence & 0xFF)
    return _header(PSFB, PSFB_FIR, 4 + len(body)) + body


def pack_nack(sender_ssrc: int, media_ssrc: int, lost: list[int]) -> bytes:
    fci = bytearray()
    remaining = sorted(set(lost))
    while remaining:
        pid = remaining.pop(0)
        mask = 0
        for seq in list(remaining):
            distance = (seq - pid) & 0xFFFF
            if 1 <= distance <= 16:
                mask |= 1 << (distance - 1)
                remaining.remove(seq)
        fci += struct.pack("!HH", pid, mask)
    body = _FEEDBACK.pack(sender_ssrc, media_ssrc) + bytes(fci)
    return _header(RTPFB, RTPFB_NACK, 4 + len(body)) + body


def pack_remb(sender_ssrc: int, bitrate: int, ssrcs: list[int]) -> bytes:
    exponent = 0
    mantissa = max(0, bitrate)
    while mantissa > 0x3FFFF:
        mantissa >>= 1
        exponent += 1
    fci = b"REMB" + struct.pack(
        "!BBH", len(ssrcs), (exponent << 2) | (mantissa >> 16), mantissa & 0xFFFF
    )
    fci += b"".join(struct.pack("!I", s) for s in ssrcs)
    body = _FEEDBACK.pack(sender_ssrc, 0) + fci
    return _header(PSFB, PSFB_REMB, 4 + len(body)) + body


def iter_packets(data: bytes) -> Iterator[RtcpPacket]:
    """The packets of a compound (or reduced-size) RTCP datagram; stops at the first bad one."""
    pos = 0
    end = len(data)
    while pos + 4 <= end:
        first, packet_type, words = _HEADER.unpack_from(data, pos)
        length = (words + 1) * 4
        if first >> 6 != 2 or pos + length > end:
            return
        payload = data[pos + 4 : pos + length]
        if first & 0x20 and payload:  # padding: the last byte counts the padding bytes
            pad = payload[-1]
            payload = payload[: len(payload) - pad] if pad <= len(payload) else b""
        yield RtcpPacket(packet_type, first & 0x1F, payload)
        pos += length


def parse_sender_info(payload: bytes) -> SenderInfo:
    return SenderInfo(*_SENDER_INFO.unpack_from(payload, 0))


def parse_report_blocks(packet: RtcpPacket) -> list[ReportBlock]:
    """The report blocks of an SR or RR packet."""
    offset = 24 if packet.type == SR else 4
    blocks = []
    for i in range(packet.fmt):
        at = offset + 24 * i
        if at + 24 > len(packet.payload):
            break
        ssrc, fraction, lost, highest, jitter, lsr, dlsr = _REPORT_BLOCK.unpack_from(
            packet.payload, at
        )
        cumulative = int.from_bytes(lost, "big", signed=True)
        blocks.append(ReportBlock(ssrc, fraction, cumulative, highest, jitter, lsr, dlsr))
    return blocks


def parse_feedback_ssrcs(payload: bytes) -> tuple[int, int]:
    """(sender ssrc, media ssrc) of an RTPFB or PSFB packet."""
    sender, media = _FEEDBACK.unpack_from(payload, 0)
    return sender, media


def parse_nack(payload: bytes) -> list[int]:
    """The sequence numbers a generic NACK (RFC 4585 6.2.1) reports lost."""
    lost = []
    for at in range(8, len(payload) - 3, 4):
        pid, mask = struct.unpack_from("!HH", payload, at)
        lost.append(pid)
        for bit in range(16):
            if mask & (1 << bit):
                lost.append((pid + bit + 1) & 0xFFFF)
    return lost


def parse_fir(payload: bytes) -> list[int]:
    """The media ssrcs a FIR (RFC 5104 4.3.1) asks a keyframe of."""
    return [struct.unpack_from("!I", payload, at)[0] for at in range(8, len(payload) - 7, 8)]


def parse_remb(payload: bytes) -> tuple[int, list[int]] | None:
    """(bitrate, ssrcs) of a REMB, or None if the application feedback is something else."""
    if len(payload) < 16 or payload[8:12] != b"REMB":
        return None
    count, exp_mantissa, low = struct.unpack_from("!BBH", payload, 12)
    bitrate = (((exp_mantissa & 0x03) << 16) | low) << (exp_mantissa >> 2)
    ssrcs = [struct.unpack_from("!I", payload, 16 + 4 * i)[0] for i in range(count)
             if 20 + 4 * i <= len(payload)]
    return bitrate, ssrcs


class KeyframeThrottle:
    """At most one keyframe request per interval: a keyframe asked for a moment ago serves
    everyone who asks before it arrives (leading edge only, as LiveKit does)."""

    __slots__ = ("_clock", "_interval", "_last")

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._last = -interval

    def allow(self) -> bool:
        now = self._clock()
        if now - self._last < self._interval:
            return False
        self._last = now
        return True
