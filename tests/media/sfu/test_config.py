"""SfuConfig refuses settings that cannot work."""

from __future__ import annotations

import pytest

from media.sfu import IceServer, SfuConfig


def test_defaults_are_valid_and_servers_are_checked() -> None:
    config = SfuConfig(ice_servers=(IceServer(("stun:stun.example.org:3478",)),))
    assert config.ice_servers[0].urls == ("stun:stun.example.org:3478",)
    with pytest.raises(ValueError, match="stun:"):
        IceServer(("http://example.org",))
    with pytest.raises(ValueError):
        IceServer(())


@pytest.mark.parametrize(
    "settings",
    [
        {"host_addresses": ("localhost",)},
        {"udp_port_range": (50000, 40000)},
        {"udp_port_range": (0, 10)},
        {"nack_history_packets": 100},
        {"peer_timeout": 0},
        {"speaker_threshold_dbov": 10},
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SfuConfig(**settings)  # type: ignore[arg-type]
