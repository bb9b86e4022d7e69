"""Reception statistics of one incoming RTP stream, from its headers alone (RFC 3550 A.1,
A.3, A.8): what the SFU's receiver reports tell a publisher, so that its bandwidth estimate
and loss recovery work although nobody decodes the stream here."""

from __future__ import annotations

from .rtcp import ReportBlock, ntp_middle

_MAX_DROPOUT = 3000
_MAX_MISORDER = 100


class ReceptionStats:
    __slots__ = (
        "_base_seq",
        "_clock_rate",
        "_cycles",
        "_expected_prior",
        "_jitter",
        "_max_seq",
        "_received",
        "_received_prior",
        "_started",
        "_transit",
        "sr_arrival",
        "sr_ntp",
        "ssrc",
    )

    def __init__(self, clock_rate: int) -> None:
        self._clock_rate = clock_rate
        self.ssrc = 0
        self._started = False
        self._base_seq = 0
        self._max_seq = 0
        self._cycles = 0
        self._received = 0
        self._expected_prior = 0
        self._received_prior = 0
        self._transit = 0.0
        self._jitter = 0.0
        self.sr_ntp = 0
        self.sr_arrival = 0.0

    def reset(self, ssrc: int) -> None:
        """A new source (the publisher's SSRC changed): start counting afresh."""
        self.__init__(self._clock_rate)  # type: ignore[misc]
        self.ssrc = ssrc

    def update(self, seq: int, timestamp: int, arrival: float) -> None:
        """Account one packet; ``arrival`` is monotonic seconds. Per packet, so kept lean."""
        if not self._started:
            self._started = True
            self._base_seq = self._max_seq = seq
            self._received = 1
            self._transit = arrival * self._clock_rate - timestamp
            return
        delta = (seq - self._max_seq) & 0xFFFF
        if delta < _MAX_DROPOUT:
            if seq < self._max_seq:
                self._cycles += 0x10000
            self._max_seq = seq
        elif delta <= 0x10000 - _MAX_MISORDER:
            # a very large jump: the sender restarted its sequence; start again from here
            self._base_seq = self._max_seq = seq
            self._cycles = 0
            self._received = self._expected_prior = self._received_prior = 0
        self._received += 1
        transit = arrival * self._clock_rate - timestamp
        d = transit - self._transit
        self._transit = transit
        if d < 0:
            d = -d
        self._jitter += (d - self._jitter) / 16.0

    @property
    def started(self) -> bool:
        return self._started

    @property
    def packets_received(self) -> int:
        return self._received

    @property
    def extended_highest(self) -> int:
        return self._cycles | self._max_seq

    @property
    def expected(self) -> int:
        return self.extended_highest - self._base_seq + 1

    def on_sender_report(self, ntp: int, arrival: float) -> None:
        self.sr_ntp = ntp
        self.sr_arrival = arrival

    def report_block(self, now: float) -> ReportBlock:
        """The next report block (advances the 'since last report' interval)."""
        expected = self.expected
        lost = expected - self._received
        expected_interval = expected - self._expected_prior
        received_interval = self._received - self._received_prior
        self._expected_prior = expected
        self._received_prior = self._received
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = min(255, (lost_interval << 8) // expected_interval)
        lsr = dlsr = 0
        if self.sr_ntp:
            lsr = ntp_middle(self.sr_ntp)
            dlsr = int((now - self.sr_arrival) * 65536) & 0xFFFF_FFFF
        return ReportBlock(
            ssrc=self.ssrc,
            fraction_lost=fraction,
            cumulative_lost=lost,
            highest_sequence=self.extended_highest,
            jitter=int(self._jitter),
            lsr=lsr,
            dlsr=dlsr,
        )
