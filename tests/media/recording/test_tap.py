"""The forwarder's taps: what a recorder sees of a track, and nothing when nobody records."""

from __future__ import annotations

import struct

from media.sfu.forwarder import Forwarder
from media.sfu.publisher import PublishedTrack
from tests.media.sfu.packets import VP8_DELTA, VP8_KEY, published, rtp


class Tap:
    def __init__(self) -> None:
        self.packets: list[tuple[bytes, float]] = []
        self.reports: list[tuple[int, int, float]] = []

    def on_rtp(self, pkt: memoryview, n: int, arrival: float) -> None:
        self.packets.append((bytes(pkt[:n]), arrival))

    def on_sender_report(self, ntp: int, rtp_timestamp: int, arrival: float) -> None:
        self.reports.append((ntp, rtp_timestamp, arrival))


class Exploding:
    """A tap that must never be called."""

    def on_rtp(self, pkt: memoryview, n: int, arrival: float) -> None:
        raise AssertionError("a removed tap was called")

    def on_sender_report(self, ntp: int, rtp_timestamp: int, arrival: float) -> None:
        raise AssertionError("a removed tap was called")


def feed(track: PublishedTrack, packet: bytes) -> None:
    buffer = bytearray(1600)
    buffer[: len(packet)] = packet
    track.publisher.on_rtp(memoryview(buffer), len(packet))


def seqs(tap: Tap) -> list[int]:
    return [struct.unpack_from("!H", p, 2)[0] for p, _ in tap.packets]


def test_nobody_records_by_default_and_a_removed_tap_leaves_the_list_empty() -> None:
    forwarder = Forwarder(90000, {}, None)
    assert forwarder.taps == []  # the hot path's only cost: one falsy-list test
    track = published()
    tap = Exploding()
    track.forwarder.taps.append(tap)
    track.forwarder.taps.remove(tap)
    assert track.forwarder.taps == []
    feed(track, rtp(1, 0, 0x1111, payload=VP8_KEY))
    track.publisher.on_sender_report(0x1111, 1 << 32, 0)
    assert track.forwarder.packets == 1


def test_a_tap_sees_packets_as_the_publisher_sent_them_and_its_sender_reports() -> None:
    track = published()
    tap = Tap()
    track.forwarder.taps.append(tap)
    sent = [rtp(100 + i, 3000 * i, 0x1111, payload=VP8_KEY if i == 0 else VP8_DELTA)
            for i in range(4)]
    for packet in sent:
        feed(track, packet)
    assert [p for p, _ in tap.packets] == sent
    arrivals = [a for _, a in tap.packets]
    assert arrivals == sorted(arrivals) and arrivals[0] > 0
    track.publisher.on_sender_report(0x1111, 5 << 32, 9000)
    track.publisher.on_sender_report(0x9999, 6 << 32, 9999)  # not this track's SSRC
    assert [(ntp, ts) for ntp, ts, _ in tap.reports] == [(5 << 32, 9000)]


def test_a_muted_track_is_not_tapped() -> None:
    track = published("audio", pt=111)
    tap = Tap()
    track.forwarder.taps.append(tap)
    feed(track, rtp(1, 960, 0x1111, pt=111))
    track.forwarder.set_paused(True)
    feed(track, rtp(2, 1920, 0x1111, pt=111))
    track.forwarder.set_paused(False)
    feed(track, rtp(3, 2880, 0x1111, pt=111))
    assert seqs(tap) == [1, 3]


def test_repairs_reach_the_tap_as_the_original_packet() -> None:
    track = published(nack=True)
    tap = Tap()
    track.forwarder.taps.append(tap)
    feed(track, rtp(10, 0, 0x1111, payload=VP8_KEY))
    feed(track, rtp(12, 3000, 0x1111, payload=VP8_DELTA))  # 11 lost on the way in
    feed(track, rtp(600, 0, 0x1112, pt=97, payload=struct.pack("!H", 11) + VP8_DELTA))
    assert seqs(tap) == [10, 12, 11]
    repaired = tap.packets[-1][0]
    assert repaired[1] & 0x7F == 96 and struct.unpack_from("!I", repaired, 8)[0] == 0x1111
    assert repaired[12:] == VP8_DELTA
