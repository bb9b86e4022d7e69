"""Forwarder and DownTrack without a network: packets in, rewritten packets out."""

from __future__ import annotations

import struct
import time
from itertools import pairwise

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, unwrap_rtx

from media.sfu.downtrack import DownTrack
from media.sfu.nack import header_length
from media.sfu.publisher import PublishedTrack
from media.sfu.rtcp import (
    PSFB,
    PSFB_PLI,
    RTPFB,
    iter_packets,
    parse_feedback_ssrcs,
    parse_nack,
)

from .packets import VP8_DELTA, VP8_KEY, FakeEndpoint, fields, published, rtp, subscriber_side


def feed(track: PublishedTrack, packet: bytes) -> None:
    """As the shim hands packets over: in a reused, writable buffer, through the publisher."""
    buffer = bytearray(1600)
    buffer[: len(packet)] = packet
    track.publisher.on_rtp(memoryview(buffer), len(packet))


def subscribe(track: PublishedTrack, **options: object) -> tuple[DownTrack, FakeEndpoint]:
    downtrack = DownTrack(track, history_size=64)
    assert downtrack.configure(subscriber_side(track.kind, **options))  # type: ignore[arg-type]
    endpoint = FakeEndpoint()
    downtrack.activate(endpoint)  # type: ignore[arg-type]
    return downtrack, endpoint


def plis(sent: list[bytes]) -> int:
    return sum(
        1 for data in sent for p in iter_packets(data) if p.type == PSFB and p.fmt == PSFB_PLI
    )


def test_video_waits_for_a_keyframe_then_flows_rewritten() -> None:
    requests: list[bytes] = []
    track = published(sent=requests)
    _, endpoint = subscribe(track)
    feed(track, rtp(1000, 5000, 0x1111, payload=VP8_DELTA))
    assert endpoint.sent == []
    assert plis(requests) == 1  # asked when subscribing
    assert parse_feedback_ssrcs(next(iter_packets(requests[0])).payload) == (0xAAAA, 0x1111)
    feed(track, rtp(1001, 8000, 0x1111, payload=VP8_KEY))
    feed(track, rtp(1002, 8000, 0x1111, payload=VP8_DELTA, marker=True))
    assert len(endpoint.sent) == 2
    (pt1, seq1, ts1, ssrc1), (pt2, seq2, ts2, ssrc2) = map(fields, endpoint.sent)
    assert (pt1, ssrc1) == (pt2, ssrc2) == (100, 0x5555)
    assert seq2 == (seq1 + 1) & 0xFFFF and ts1 == ts2
    assert endpoint.sent[1][1] & 0x80  # marker kept
    assert endpoint.sent[0][12:] == rtp(0, 0, 0, payload=VP8_KEY)[12:]  # payload untouched


def test_audio_flows_from_the_first_packet_and_unknown_payload_types_are_dropped() -> None:
    track = published("audio", pt=111)
    _, endpoint = subscribe(track)
    feed(track, rtp(7, 960, 0x1111, pt=111))
    feed(track, rtp(8, 1920, 0x1111, pt=63))  # say, comfort noise nobody negotiated
    assert [fields(p)[0] for p in endpoint.sent] == [109]


def test_sequence_continues_across_a_new_source_ssrc_and_a_switch() -> None:
    track = published()
    downtrack, endpoint = subscribe(track)
    for i in range(5):
        feed(track, rtp(100 + i, 1000 + 3000 * i, 0x1111, payload=VP8_KEY if i == 0 else VP8_DELTA))
    # the publisher restarts with another SSRC and random sequence and timestamp
    for i in range(3):
        feed(track, rtp(60000 + i, 7_000_000 + 3000 * i, 0x2222,
                        payload=VP8_KEY if i == 0 else VP8_DELTA))
    # a re-publish: another track, carried on the same subscription
    other = published(pt=98, ssrc=0x3333)
    assert downtrack.switch_source(other)
    feed(track, rtp(105, 16000, 0x1111, payload=VP8_KEY))  # the old source no longer counts
    for i in range(3):
        feed(other, rtp(9 + i, 42 + 3000 * i, 0x3333, pt=98,
                        payload=VP8_KEY if i == 0 else VP8_DELTA))
    seqs = [fields(p)[1] for p in endpoint.sent]
    stamps = [fields(p)[2] for p in endpoint.sent]
    assert len(seqs) == 11
    assert all((b - a) & 0xFFFF == 1 for a, b in pairwise(seqs))
    assert all(0 < (b - a) & 0xFFFF_FFFF < 90000 for a, b in pairwise(stamps)
               if a != b)
    assert {fields(p)[0] for p in endpoint.sent} == {100}
    assert {fields(p)[3] for p in endpoint.sent} == {0x5555}


def test_a_packet_older_than_a_resync_is_not_forwarded() -> None:
    track = published("audio", pt=111)
    _, endpoint = subscribe(track)
    feed(track, rtp(500, 0, 0x1111, pt=111))
    feed(track, rtp(499, 0, 0x1111, pt=111))  # late, from before the run started
    feed(track, rtp(501, 960, 0x1111, pt=111))
    assert len(endpoint.sent) == 2


def test_paused_tracks_are_counted_not_forwarded_and_resume_continuously() -> None:
    track = published("audio", pt=111)
    _, endpoint = subscribe(track)
    feed(track, rtp(1, 0, 0x1111, pt=111))
    track.forwarder.set_paused(True)
    for i in range(2, 50):
        feed(track, rtp(i, 960 * i, 0x1111, pt=111))
    track.forwarder.set_paused(False)
    feed(track, rtp(50, 960 * 50, 0x1111, pt=111))
    assert track.forwarder.stats.packets_received == 50
    first, second = (fields(p)[1] for p in endpoint.sent)
    assert second == (first + 1) & 0xFFFF


def test_extensions_are_renumbered_and_the_mid_rewritten() -> None:
    track = published("audio", pt=111)  # publisher ids: level 1, abs-send-time 2, mid 4
    _, endpoint = subscribe(track, mid="7")  # subscriber: mid 1, level 2, abs-send-time 3
    packet = rtp(1, 0, 0x1111, pt=111,
                 extensions=[(1, b"\x8a"), (2, b"\x01\x02\x03"), (4, b"0")])
    before = int(time.monotonic() * 262144)
    feed(track, packet)
    after = int(time.monotonic() * 262144)
    extensions = HeaderExtensionsMap()
    extensions.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        RTCRtpHeaderExtensionParameters(id=2, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
        RTCRtpHeaderExtensionParameters(
            id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
    ]))
    parsed = RtpPacket.parse(endpoint.sent[0], extensions)
    assert parsed.extensions.mid == "7"
    assert parsed.extensions.audio_level == (True, 10)
    # abs-send-time now tells when the SFU sent it
    assert parsed.extensions.abs_send_time is not None
    assert (parsed.extensions.abs_send_time - before) & 0xFFFFFF <= after - before
    assert track.forwarder.speaker_slot is None  # the room gives one; none here


def test_extensions_the_subscriber_lacks_are_blanked_and_a_longer_mid_too() -> None:
    track = published("audio", pt=111)
    _, endpoint = subscribe(track, mid="12", extensions={
        "urn:ietf:params:rtp-hdrext:sdes:mid": 1,
    })
    feed(track, rtp(1, 0, 0x1111, pt=111,
                    extensions=[(1, b"\x8a"), (2, b"\x01\x02\x03"), (4, b"0")]))
    sent = endpoint.sent[0]
    block_words = struct.unpack_from("!H", sent, 14)[0]
    assert sent[16 : 16 + 4 * block_words] == bytes(4 * block_words)  # all padding now
    assert sent.endswith(b"\x00" * 20)


def test_a_nack_is_answered_with_rtx_or_the_packet_again() -> None:
    track = published()
    rtx_down, rtx_endpoint = subscribe(track)
    plain_down, plain_endpoint = subscribe(track, rtx=False, ssrc=0x7777)
    for i in range(10):
        feed(track, rtp(300 + i, 3000 * i, 0x1111, payload=VP8_KEY if i == 0 else VP8_DELTA))
    lost = fields(rtx_endpoint.sent[4])
    assert rtx_down.retransmit([lost[1], (lost[1] + 1000) & 0xFFFF]) == 1
    resent = rtx_endpoint.sent[-1]
    pt, _, ts, ssrc = fields(resent)
    assert (pt, ssrc, ts) == (101, 0x5556, lost[2])
    original = RtpPacket.parse(rtx_endpoint.sent[4])
    unwrapped = unwrap_rtx(RtpPacket.parse(resent), payload_type=100, ssrc=0x5555)
    assert unwrapped.sequence_number == original.sequence_number
    assert unwrapped.payload == original.payload

    plain_lost = fields(plain_endpoint.sent[6])[1]
    assert plain_down.retransmit([plain_lost]) == 1
    assert plain_endpoint.sent[-1] == plain_endpoint.sent[6]


def test_one_history_per_track_answers_every_subscriber_with_its_own_header() -> None:
    track = published()
    first, first_endpoint = subscribe(track, mid="3")
    second, second_endpoint = subscribe(track, ssrc=0x7777, mid="12", extensions={
        "urn:ietf:params:rtp-hdrext:sdes:mid": 5,
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time": 6,
    })
    for i in range(8):
        feed(track, rtp(40 + i, 3000 * i, 0x1111, payload=VP8_KEY if i == 0 else VP8_DELTA,
                        extensions=[(1, b"\x8a"), (2, b"\x01\x02\x03"), (4, b"0")]))
    assert track.forwarder.history is not None
    for downtrack, endpoint in ((first, first_endpoint), (second, second_endpoint)):
        original = endpoint.sent[5]
        assert downtrack.retransmit([fields(original)[1]]) == 1
        resent = endpoint.sent[-1]
        head = header_length(resent)
        assert fields(resent)[0] == 101
        rebuilt = bytearray(resent[:head] + resent[head + 2 :])  # RFC 4588: drop the OSN
        struct.pack_into("!BHI", rebuilt, 1, (resent[1] & 0x80) | 100,
                         struct.unpack_from("!H", resent, head)[0], fields(resent)[2])
        struct.pack_into("!I", rebuilt, 8, fields(original)[3])
        assert bytes(rebuilt) == original  # same extensions, MID and send time as first sent
    assert first_endpoint.sent[5][12:] != second_endpoint.sent[5][12:]  # other ids, MIDs


def test_a_nack_reaches_back_across_a_new_source_and_resends_are_limited() -> None:
    track = published()
    downtrack, endpoint = subscribe(track, rtx=False)
    for i in range(4):
        feed(track, rtp(100 + i, 1000 + 3000 * i, 0x1111,
                        payload=VP8_KEY if i == 0 else VP8_DELTA))
    for i in range(4):  # the publisher restarts: another SSRC, sequence and timestamp
        feed(track, rtp(7 + i, 9_000_000 + 3000 * i, 0x2222,
                        payload=VP8_KEY if i == 0 else VP8_DELTA))
    before, after = endpoint.sent[2], endpoint.sent[6]
    assert downtrack.retransmit([fields(before)[1], fields(after)[1]]) == 2
    assert endpoint.sent[-2:] == [before, after]
    newest = fields(endpoint.sent[7])[1]
    assert downtrack.retransmit([(newest + 1) & 0xFFFF]) == 0  # never sent
    assert [downtrack.retransmit([fields(after)[1]]) for _ in range(3)] == [1, 1, 0]


def test_subscriber_plis_are_throttled_at_the_source() -> None:
    requests: list[bytes] = []
    track = published(sent=requests)
    subscribe(track)
    subscribe(track, ssrc=0x7777)  # a second subscriber joins at once: one request serves both
    assert plis(requests) == 1
    assert not track.request_keyframe()


def test_losses_on_the_way_in_are_asked_for_and_repaired_from_rtx() -> None:
    requests: list[bytes] = []
    track = published(sent=requests, nack=True)
    _, endpoint = subscribe(track)
    requests.clear()
    feed(track, rtp(10, 0, 0x1111, payload=VP8_KEY))
    feed(track, rtp(11, 0, 0x1111, payload=VP8_DELTA))
    feed(track, rtp(14, 3000, 0x1111, payload=VP8_DELTA))  # 12 and 13 lost on the way in
    nacks = [p for data in requests for p in iter_packets(data) if p.type == RTPFB]
    assert len(nacks) == 1 and sorted(parse_nack(nacks[0].payload)) == [12, 13]
    assert parse_feedback_ssrcs(nacks[0].payload) == (0xAAAA, 0x1111)

    def rtx_of(seq: int, padding: bool = False) -> bytes:
        packet = bytearray(rtp(500 + seq, 0, 0x1112, pt=97,
                               payload=struct.pack("!H", seq) + bytes([0x00, seq])))
        if padding:  # a probe: only padding after the header
            packet = bytearray(rtp(900, 0, 0x1112, pt=97, payload=b"\x00\x00\x00\x04"))
            packet[0] |= 0x20
        return bytes(packet)

    feed(track, rtx_of(12))
    feed(track, rtx_of(12))  # a duplicate: not forwarded twice
    feed(track, rtx_of(11))  # never lost: a probe
    feed(track, rtx_of(0, padding=True))
    assert track.forwarder.repaired == 1
    sent = [fields(p) for p in endpoint.sent]
    assert [s[1] - sent[0][1] for s in sent] == [0, 1, 4, 2]  # 10, 11, 14, then 12
    assert sent[-1][0] == 100 and sent[-1][3] == 0x5555
    assert endpoint.sent[-1].endswith(bytes([0x00, 12]))


def test_the_publishers_audio_ssrcs_are_urgent_and_follow_its_tracks() -> None:
    audio = published("audio", pt=111)
    publisher = audio.publisher
    assert publisher.urgent_ssrcs == {0x1111}
    video = published(ssrc=0x2222)
    video.publisher = publisher
    video.mid = "1"
    publisher.add(video)
    assert publisher.urgent_ssrcs == {0x1111}  # video never jumps the queue
    feed(audio, rtp(1, 960, 0x3333, pt=111))  # a new SSRC, matched by payload type
    assert publisher.urgent_ssrcs == {0x1111, 0x3333}
    publisher.remove(audio)
    assert publisher.urgent_ssrcs == set()
