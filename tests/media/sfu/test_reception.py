"""Receiver-report statistics from RTP headers alone."""

from __future__ import annotations

from media.sfu.reception import ReceptionStats
from media.sfu.rtcp import ntp_middle


def test_loss_wrap_and_fraction() -> None:
    stats = ReceptionStats(90000)
    stats.reset(7)
    seqs = [65530 + i for i in range(6)] + [0, 1, 3, 4]  # wraps; 2 is lost
    for i, seq in enumerate(seqs):
        stats.update(seq & 0xFFFF, 3000 * i, i / 30)
    block = stats.report_block(1.0)
    assert block.ssrc == 7
    assert block.highest_sequence == (1 << 16) | 4
    assert block.cumulative_lost == 1
    assert block.fraction_lost == (1 << 8) // 11
    assert stats.report_block(2.0).fraction_lost == 0  # nothing new lost since


def test_jitter_grows_with_irregular_arrival_and_lsr_comes_from_the_sender_report() -> None:
    steady, shaky = ReceptionStats(90000), ReceptionStats(90000)
    for i in range(50):
        steady.update(i, 3000 * i, i / 30)
        shaky.update(i, 3000 * i, i / 30 + (0.01 if i % 2 else 0))
    assert steady.report_block(2).jitter == 0
    assert 500 < shaky.report_block(2).jitter < 1000
    shaky.on_sender_report(0x1122334455667788, arrival=10.0)
    block = shaky.report_block(10.5)
    assert block.lsr == ntp_middle(0x1122334455667788) == 0x33445566
    assert block.dlsr == 32768
