"""RTCP end to end: NACKs answered from the history, PLI relayed and throttled, a keyframe
on subscribe, sender reports that keep the publisher's clock."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable

import pytest

from media.sfu import Sfu
from media.sfu.codecs import vp8_starts_keyframe
from media.sfu.nack import header_length
from media.sfu.rtcp import (
    PSFB,
    PSFB_PLI,
    PSFB_REMB,
    RR,
    SR,
    ntp_to_unix,
    pack_pli,
    parse_feedback_ssrcs,
    parse_remb,
    parse_report_blocks,
    parse_sender_info,
)

from .conftest import Client, EventLog, eventually, info, sfu_config


def plis_for(client: Client, ssrc: int) -> int:
    return sum(
        1 for _, p in client.rtcp
        if p.type == PSFB and p.fmt == PSFB_PLI and parse_feedback_ssrcs(p.payload)[1] == ssrc
    )


class DropOnce:
    """Drops one video packet on its way to one subscriber, well after the start."""

    def __init__(self) -> None:
        self.participant = ""
        self.ssrc = 0
        self.seen = 0
        self.dropped: int | None = None

    def __call__(self, participant_id: str, packet: memoryview, n: int) -> bool:
        if participant_id != self.participant or self.dropped is not None:
            return True
        if struct.unpack_from("!I", packet, 8)[0] != self.ssrc:
            return True
        self.seen += 1
        if self.seen < 30:
            return True
        self.dropped = struct.unpack_from("!H", packet, 2)[0]
        return False


@pytest.fixture
async def lossy_sfu(events: EventLog) -> AsyncIterator[tuple[Sfu, DropOnce]]:
    drop = DropOnce()
    server = Sfu(sfu_config(), events, packet_filter=drop)
    yield server, drop
    await server.close()


async def test_a_lost_packet_is_retransmitted_as_rtx_from_the_history(
    lossy_sfu: tuple[Sfu, DropOnce], clients: Callable[..., Client]
) -> None:
    sfu, drop = lossy_sfu
    room = sfu.room("r1")
    alice = clients("alice", video=True)
    bob = clients("bob")  # aiortc's receiver NACKs what it misses
    await alice.join(room.join("alice", info("alice")))
    bob_participant = room.join("bob", info("bob"))
    await bob.join(bob_participant)
    video = next(t for t in bob.pc.getTransceivers() if t.currentDirection == "recvonly")
    media_ssrc, rtx_ssrc = (s.ssrc for s in bob._remote_ssrcs(video.mid)[:2])
    drop.participant, drop.ssrc = "bob", media_ssrc

    await eventually(lambda: drop.dropped is not None, what="a dropped packet")
    lost = drop.dropped

    def repaired() -> bool:
        return any(
            struct.unpack_from("!H", p.data, header_length(p.data))[0] == lost
            for p in bob.received
            if p.ssrc == rtx_ssrc
        )

    await eventually(repaired, what="the RTX retransmission")
    assert not any(p.ssrc == media_ssrc and p.seq == lost for p in bob.received)
    stats = bob_participant.stats()
    assert stats.nacks_received >= 1 and stats.retransmitted >= 1


async def test_keyframe_is_requested_on_subscribe_and_video_starts_with_one(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", video=True)
    await alice.join(room.join("alice", info("alice")))
    await asyncio.sleep(0.6)  # past the throttle window of anything earlier
    before = plis_for(alice, alice.sender_ssrc("video"))
    bob = clients("bob", decode=False)
    await bob.join(room.join("bob", info("bob")))
    await eventually(lambda: plis_for(alice, alice.sender_ssrc("video")) > before,
                     what="a PLI at the publisher")
    video_ssrc, = bob.receiving_ssrcs("video")
    await eventually(lambda: bob.packets[video_ssrc] > 0, what="video at the subscriber")
    first = next(p for p in bob.received if p.ssrc == video_ssrc)
    assert vp8_starts_keyframe(first.data, header_length(first.data), len(first.data))


async def test_pli_from_a_subscriber_reaches_the_publisher_throttled(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", video=True)
    bob = clients("bob", decode=False)
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    video_ssrc, = bob.receiving_ssrcs("video")
    await eventually(lambda: bob.packets[video_ssrc] > 10, what="video at the subscriber")
    await asyncio.sleep(0.6)  # the subscribe keyframe request is out of the window
    publisher_ssrc = alice.sender_ssrc("video")
    before = plis_for(alice, publisher_ssrc)

    await bob.send_rtcp(pack_pli(1234, video_ssrc))
    await asyncio.sleep(0.1)
    await bob.send_rtcp(pack_pli(1234, video_ssrc))
    await asyncio.sleep(0.6)
    assert plis_for(alice, publisher_ssrc) == before + 1

    await bob.send_rtcp(pack_pli(1234, video_ssrc))  # a new window: relayed again
    await eventually(lambda: plis_for(alice, publisher_ssrc) == before + 2, what="second PLI")


async def test_sender_reports_carry_the_publishers_clock(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", audio=True, video=True)
    bob = clients("bob", decode=False)
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    clock_rates = {bob.receiving_ssrcs("video")[0]: 90000, bob.receiving_ssrcs("audio")[0]: 48000}

    def reports() -> dict[int, list[tuple[float, int, int]]]:
        found: dict[int, list[tuple[float, int, int]]] = {}
        for at, packet in bob.rtcp:
            if packet.type == SR:
                sr = parse_sender_info(packet.payload)
                found.setdefault(sr.ssrc, []).append((at, sr.ntp, sr.rtp_timestamp))
        return found

    await eventually(lambda: all(len(reports().get(s, [])) >= 2 for s in clock_rates),
                     within=10, what="sender reports for audio and video")
    for ssrc, rate in clock_rates.items():
        for _, ntp, rtp in reports()[ssrc]:
            assert ntp != 0
            # packets bob received near that moment carry timestamps on the same clock
            when = ntp_to_unix(ntp)
            near = [p for p in bob.received if p.ssrc == ssrc and abs(p.at - when) < 0.5]
            assert near
            for packet in near:
                expected = rtp + int((packet.at - when) * rate)
                drift = ((packet.ts - expected + 0x8000_0000) & 0xFFFF_FFFF) - 0x8000_0000
                assert abs(drift) < 0.15 * rate, (ssrc, drift / rate)

    # the publisher hears from the SFU as a receiver: reports on its streams, and a REMB
    published = {alice.sender_ssrc("audio"), alice.sender_ssrc("video")}
    blocks = [b for _, p in alice.rtcp if p.type == RR for b in parse_report_blocks(p)]
    assert {b.ssrc for b in blocks} == published
    assert all(b.highest_sequence and b.cumulative_lost == 0 for b in blocks)
    rembs = [parse_remb(p.payload) for _, p in alice.rtcp if p.type == PSFB and p.fmt == PSFB_REMB]
    assert rembs and rembs[-1] is not None
    bitrate, ssrcs = rembs[-1]
    assert ssrcs == [alice.sender_ssrc("video")]
    assert 0.99 * sfu.config.max_video_bitrate <= bitrate <= sfu.config.max_video_bitrate
