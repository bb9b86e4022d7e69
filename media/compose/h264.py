"""H.264 over RTP (RFC 6184, packetization mode 1) to Annex B, and the picture size in an SPS.

Single NAL unit packets, STAP-A aggregates and FU-A fragments are what WebRTC sends; each
NAL unit leaves with a four-byte start code, so FFmpeg reads the frames from an IVF file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

START_CODE = b"\x00\x00\x00\x01"
STAP_A = 24
FU_A = 28
IDR = 5
SPS = 7


def _nal_units(frame: bytes) -> Iterator[bytes]:
    """The NAL units of an Annex B frame this module wrote (four-byte start codes)."""
    for unit in frame.split(START_CODE):
        if unit:
            yield unit


class H264Depacketizer:
    fourcc = b"H264"

    def starts_frame(self, payload: bytes) -> bool:
        if len(payload) < 1:
            return False
        kind = payload[0] & 0x1F
        if kind == FU_A:
            return len(payload) > 1 and bool(payload[1] & 0x80)
        return 1 <= kind <= STAP_A

    def join(self, payloads: Sequence[bytes]) -> bytes | None:
        out = bytearray()
        in_fragment = False
        for payload in payloads:
            if not payload:
                return None
            kind = payload[0] & 0x1F
            if 1 <= kind <= 23:
                if in_fragment:
                    return None
                out += START_CODE + payload
            elif kind == STAP_A:
                if in_fragment:
                    return None
                at = 1
                while at + 2 <= len(payload):
                    size = (payload[at] << 8) | payload[at + 1]
                    at += 2
                    if size == 0 or at + size > len(payload):
                        return None
                    out += START_CODE + payload[at : at + size]
                    at += size
            elif kind == FU_A:
                if len(payload) < 2:
                    return None
                header = payload[1]
                if header & 0x80:
                    if in_fragment:
                        return None
                    out += START_CODE + bytes([(payload[0] & 0xE0) | (header & 0x1F)])
                    in_fragment = True
                elif not in_fragment:
                    return None
                out += payload[2:]
                if header & 0x40:
                    in_fragment = False
            else:
                return None  # STAP-B, MTAP, FU-B: not in packetization mode 1
        if in_fragment or not out:
            return None
        return bytes(out)

    def keyframe(self, frame: bytes) -> tuple[bool, tuple[int, int] | None]:
        idr = False
        size: tuple[int, int] | None = None
        for unit in _nal_units(frame):
            kind = unit[0] & 0x1F
            if kind == IDR:
                idr = True
            elif kind == SPS and size is None:
                size = sps_picture_size(unit)
        return idr, size


class _Bits:
    """An RBSP bit reader with Exp-Golomb codes (H.264 7.2, 9.1)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def bit(self) -> int:
        byte = self.at >> 3
        if byte >= len(self.data):
            raise ValueError("the SPS ends early")
        value = (self.data[byte] >> (7 - (self.at & 7))) & 1
        self.at += 1
        return value

    def bits(self, n: int) -> int:
        value = 0
        for _ in range(n):
            value = (value << 1) | self.bit()
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("a bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        value = self.ue()
        return (value + 1) // 2 if value & 1 else -(value // 2)


def _rbsp(unit: bytes) -> bytes:
    """The NAL unit's payload without emulation prevention bytes (00 00 03)."""
    return unit.replace(b"\x00\x00\x03", b"\x00\x00")


def sps_picture_size(unit: bytes) -> tuple[int, int] | None:
    """Width and height after cropping from a sequence parameter set NAL unit (7.3.2.1.1)."""
    try:
        bits = _Bits(_rbsp(unit[1:]))
        profile = bits.bits(8)
        bits.bits(16)  # constraint flags, level
        bits.ue()  # seq_parameter_set_id
        chroma_format = 1
        separate_planes = 0
        if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
            chroma_format = bits.ue()
            if chroma_format == 3:
                separate_planes = bits.bit()
            bits.ue()  # bit_depth_luma_minus8
            bits.ue()  # bit_depth_chroma_minus8
            bits.bit()  # qpprime_y_zero_transform_bypass_flag
            if bits.bit():  # seq_scaling_matrix_present_flag
                for index in range(8 if chroma_format != 3 else 12):
                    if bits.bit():
                        _skip_scaling_list(bits, 16 if index < 6 else 64)
        bits.ue()  # log2_max_frame_num_minus4
        poc_type = bits.ue()
        if poc_type == 0:
            bits.ue()
        elif poc_type == 1:
            bits.bit()
            bits.se()
            bits.se()
            for _ in range(bits.ue()):
                bits.se()
        bits.ue()  # max_num_ref_frames
        bits.bit()  # gaps_in_frame_num_value_allowed_flag
        width_mbs = bits.ue() + 1
        height_units = bits.ue() + 1
        frame_mbs_only = bits.bit()
        if not frame_mbs_only:
            bits.bit()  # mb_adaptive_frame_field_flag
        bits.bit()  # direct_8x8_inference_flag
        crop = (0, 0, 0, 0)
        if bits.bit():
            crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue())
    except ValueError:
        return None
    if chroma_format == 0 or separate_planes:
        unit_x, unit_y = 1, 2 - frame_mbs_only
    else:
        unit_x = 2 if chroma_format in (1, 2) else 1
        unit_y = (2 if chroma_format == 1 else 1) * (2 - frame_mbs_only)
    width = width_mbs * 16 - unit_x * (crop[0] + crop[1])
    height = (2 - frame_mbs_only) * height_units * 16 - unit_y * (crop[2] + crop[3])
    if width <= 0 or height <= 0:
        return None
    return width, height


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last = 8
    following = 8
    for _ in range(size):
        if following:
            following = (last + bits.se() + 256) % 256
        last = following or last
