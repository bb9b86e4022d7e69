"""RTCP built here is read back by aiortc's parser, and what browsers send is read here."""

from __future__ import annotations

from aiortc.rtp import RtcpPacket as AiortcRtcp
from aiortc.rtp import RtcpPsfbPacket, RtcpRrPacket, RtcpRtpfbPacket, RtcpSrPacket, unpack_remb_fci

from media.sfu import rtcp
from media.sfu.rtcp import KeyframeThrottle, ReportBlock, SenderInfo


def parse(data: bytes) -> list[object]:
    return list(AiortcRtcp.parse(data))


def test_sender_report_round_trips_through_aiortc() -> None:
    info = SenderInfo(ssrc=0x1234, ntp=rtcp.ntp_from_unix(1_700_000_000.25), rtp_timestamp=90000,
                      packet_count=10, octet_count=12000)
    packet, = parse(rtcp.pack_sr(info))
    assert isinstance(packet, RtcpSrPacket)
    assert packet.ssrc == 0x1234
    assert packet.sender_info.ntp_timestamp == info.ntp
    assert packet.sender_info.rtp_timestamp == 90000
    assert (packet.sender_info.packet_count, packet.sender_info.octet_count) == (10, 12000)
    assert abs(rtcp.ntp_to_unix(info.ntp) - 1_700_000_000.25) < 1e-6
    ours, = rtcp.iter_packets(rtcp.pack_sr(info))
    assert rtcp.parse_sender_info(ours.payload) == info


def test_receiver_report_blocks_round_trip() -> None:
    blocks = [ReportBlock(0xBEEF, 25, -3, 70000, 120, 0xAABBCCDD, 65536)]
    packet, = parse(rtcp.pack_rr(0x42, blocks))
    assert isinstance(packet, RtcpRrPacket)
    report, = packet.reports
    assert (report.ssrc, report.fraction_lost, report.packets_lost) == (0xBEEF, 25, -3)
    assert (report.highest_sequence, report.jitter, report.lsr, report.dlsr) == (
        70000, 120, 0xAABBCCDD, 65536)
    ours, = rtcp.iter_packets(rtcp.pack_rr(0x42, blocks))
    assert rtcp.parse_report_blocks(ours) == blocks


def test_feedback_packets() -> None:
    pli, = parse(rtcp.pack_pli(1, 2))
    assert isinstance(pli, RtcpPsfbPacket) and (pli.fmt, pli.ssrc, pli.media_ssrc) == (1, 1, 2)
    remb, = parse(rtcp.pack_remb(1, 1_500_000, [7, 8]))
    assert isinstance(remb, RtcpPsfbPacket)
    bitrate, ssrcs = unpack_remb_fci(remb.fci)
    assert 1_490_000 < bitrate <= 1_500_000 and ssrcs == [7, 8]
    ours, = rtcp.iter_packets(rtcp.pack_remb(1, 1_500_000, [7, 8]))
    assert rtcp.parse_remb(ours.payload) == (bitrate, [7, 8])
    nack, = parse(rtcp.pack_nack(1, 2, [65535, 0, 3, 40]))
    assert isinstance(nack, RtcpRtpfbPacket) and sorted(nack.lost) == [0, 3, 40, 65535]
    ours, = rtcp.iter_packets(rtcp.pack_nack(1, 2, [65535, 0, 3, 40]))
    assert sorted(rtcp.parse_nack(ours.payload)) == [0, 3, 40, 65535]
    fir, = rtcp.iter_packets(rtcp.pack_fir(1, 99, 5))
    assert (fir.type, fir.fmt, rtcp.parse_fir(fir.payload)) == (rtcp.PSFB, rtcp.PSFB_FIR, [99])


def test_compound_padding_and_garbage() -> None:
    compound = rtcp.pack_rr(1, []) + rtcp.pack_sdes_cname(1, "cname") + rtcp.pack_pli(1, 2)
    assert [p.type for p in rtcp.iter_packets(compound)] == [rtcp.RR, rtcp.SDES, rtcp.PSFB]
    assert [type(p).__name__ for p in parse(compound)] == [
        "RtcpRrPacket", "RtcpSdesPacket", "RtcpPsfbPacket"]
    padded = bytearray(rtcp.pack_pli(1, 2) + b"\x00\x00\x00\x04")
    padded[0] |= 0x20
    padded[3] += 1
    packet, = rtcp.iter_packets(bytes(padded))
    assert rtcp.parse_feedback_ssrcs(packet.payload) == (1, 2) and len(packet.payload) == 8
    assert list(rtcp.iter_packets(b"\x00\x01")) == []
    assert list(rtcp.iter_packets(b"\x80\xc8\xff\xff")) == []  # claims more than there is
    assert rtcp.parse_remb(b"\x00" * 8 + b"XXXX" + b"\x00" * 8) is None


def test_keyframe_throttle_lets_one_request_per_interval() -> None:
    now = [100.0]
    throttle = KeyframeThrottle(0.5, clock=lambda: now[0])
    assert throttle.allow()
    now[0] += 0.1
    assert not throttle.allow()
    now[0] += 0.45
    assert throttle.allow()
