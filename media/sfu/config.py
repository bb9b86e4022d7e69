"""SfuConfig: the SFU's settings, built by app/ from its Settings and handed in."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IceServer:
    """A STUN or TURN server, as in RTCIceServer. aiortc uses one STUN and one TURN at most."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError("an ICE server needs at least one URL")
        for url in self.urls:
            if not url.startswith(("stun:", "stuns:", "turn:", "turns:")):
                raise ValueError(
                    f"ICE server URL must be stun:, stuns:, turn: or turns:, not {url!r}"
                )


@dataclass(frozen=True, slots=True)
class SfuConfig:
    ice_servers: tuple[IceServer, ...] = ()
    """Never the public default: with none, only host candidates are gathered."""

    host_addresses: tuple[str, ...] = ()
    """The local addresses to gather host candidates on. Empty: every non-loopback address
    (aioice's own choice). List the public interface in production, 127.0.0.1 in tests."""

    udp_port_range: tuple[int, int] | None = None
    """Inclusive range for the host candidates' UDP ports (firewalls); None: any port."""

    max_rooms: int = 1000
    max_participants_per_room: int = 100

    max_video_bitrate: int = 2_500_000
    """Bits per second announced to publishers in REMB, per video track."""

    keyframe_request_interval: float = 0.5
    """At most one PLI per published track per this many seconds (LiveKit: 0.5 to 1 s)."""

    nack_history_packets: int = 256
    """Packets kept per video subscription to answer NACKs; a power of two."""

    rtcp_interval: float = 1.0
    """Seconds between the RTCP compounds (sender reports, receiver reports, REMB) per peer."""

    peer_timeout: float = 15.0
    """A peer from which nothing (RTP, RTCP or STUN consent) arrives for this long is dropped.
    Browsers send consent checks every 5 s, so keep it well above that."""

    speaker_interval: float = 0.3
    """Seconds between active-speaker decisions."""

    speaker_threshold_dbov: int = -50
    """Audio quieter than this (RFC 6464 level, dBov) is not speech."""

    speaker_switch_margin_db: float = 6.0
    """A new speaker must be this much louder than the current one ..."""

    speaker_switch_intervals: int = 2
    """... for this many consecutive decisions."""

    def __post_init__(self) -> None:
        for address in self.host_addresses:
            ipaddress.ip_address(address)  # raises ValueError for a non-address
        if self.udp_port_range is not None:
            low, high = self.udp_port_range
            if not 1 <= low <= high <= 65535:
                raise ValueError(f"bad UDP port range {self.udp_port_range}")
        size = self.nack_history_packets
        if size < 16 or size & (size - 1):
            raise ValueError("nack_history_packets must be a power of two of at least 16")
        positive = {
            "max_rooms": self.max_rooms,
            "max_participants_per_room": self.max_participants_per_room,
            "max_video_bitrate": self.max_video_bitrate,
            "keyframe_request_interval": self.keyframe_request_interval,
            "rtcp_interval": self.rtcp_interval,
            "peer_timeout": self.peer_timeout,
            "speaker_interval": self.speaker_interval,
            "speaker_switch_intervals": self.speaker_switch_intervals,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be positive")
        if not -127 <= self.speaker_threshold_dbov <= 0:
            raise ValueError("speaker_threshold_dbov must be between -127 and 0")
