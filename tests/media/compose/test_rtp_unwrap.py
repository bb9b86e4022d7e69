import numpy as np

from media.compose.rtp import parse_rtp
from media.compose.unwrap import unwrap, unwrap_near


def test_unwrap_sequence_numbers_across_a_wrap_and_reordering() -> None:
    raw = np.array([65534, 65535, 1, 0, 2, 3], dtype=np.int64)
    assert unwrap(raw, 16).tolist() == [65534, 65535, 65537, 65536, 65538, 65539]


def test_unwrap_timestamps_across_a_32_bit_wrap() -> None:
    start = 2**32 - 3000
    raw = (np.arange(5, dtype=np.int64) * 3000 + start) % 2**32
    assert unwrap(raw, 32).tolist() == [start + 3000 * n for n in range(5)]


def test_unwrap_near_picks_the_closest_extension() -> None:
    assert unwrap_near(5, 2**32 - 10, 32) == 2**32 + 5
    assert unwrap_near(2**32 - 10, 2**32 + 5, 32) == 2**32 - 10


def test_parse_rtp_skips_csrcs_extension_and_padding() -> None:
    header = bytes([0xB1, 0xE0, 0x01, 0x02]) + (7).to_bytes(4, "big") + (9).to_bytes(4, "big")
    csrc = b"\x00\x00\x00\x01"
    extension = b"\xbe\xde\x00\x01" + b"\x10\x7f\x00\x00"
    packet = header + csrc + extension + b"payload" + b"\x00\x00\x03"
    fields = parse_rtp(packet)
    assert fields is not None
    assert fields.marker and fields.payload_type == 0x60 and fields.sequence == 0x0102
    assert (fields.timestamp, fields.ssrc) == (7, 9)
    assert packet[fields.payload_start : fields.payload_end] == b"payload"


def test_parse_rtp_refuses_a_packet_shorter_than_its_header_says() -> None:
    packet = bytes([0x90, 0x60, 0, 1]) + bytes(8) + b"\xbe\xde\x00\x09"
    assert parse_rtp(packet) is None
