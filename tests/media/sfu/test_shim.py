"""The aiortc, aioice and pylibsrtp internals the shim relies on. When an upgrade moves any
of them these tests fail by name, before anything subtler does."""

from __future__ import annotations

import asyncio
import inspect
import struct
from importlib.metadata import version

import aioice
import aioice.ice
import pytest
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCSessionDescription
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.sdp import MediaDescription, SessionDescription, SsrcDescription
from pylibsrtp import Session
from pylibsrtp._binding import ffi, lib

from media.sfu import _aiortc_shim as shim

from .conftest import LOOPBACK, eventually


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


@pytest.mark.parametrize("distribution", sorted(shim.TESTED_VERSIONS))
def test_installed_versions_are_the_tested_ones(distribution: str) -> None:
    tested = shim.TESTED_VERSIONS[distribution]
    assert version(distribution).startswith(tested + "."), (
        f"{distribution} {version(distribution)} is not the tested {tested}.x: re-check "
        "media/sfu/_aiortc_shim.py against it, then update TESTED_VERSIONS and the pins"
    )


def test_aioice_internals() -> None:
    assert parameters(aioice.Connection.get_component_candidates) == [
        "self", "component", "addresses", "timeout"]
    assert parameters(aioice.ice.StunProtocol.datagram_received) == ["self", "data", "addr"]
    assert parameters(aioice.ice.StunProtocol.__init__) == ["self", "receiver"]
    assert parameters(aioice.ice.server_reflexive_candidate) == ["protocol", "stun_server"]
    connection = aioice.Connection(ice_controlling=False)
    assert isinstance(connection._protocols, list)
    assert isinstance(connection._nominated, dict)
    assert connection.stun_server is None
    assert isinstance(inspect.getattr_static(aioice.ice.CandidatePair, "remote_addr"), property)
    assert "protocol" in inspect.signature(aioice.ice.CandidatePair.__init__).parameters


def test_aiortc_internals() -> None:
    for method in (RTCRtpSender.send, RTCRtpReceiver.receive):
        assert inspect.iscoroutinefunction(method)
        assert parameters(method) == ["self", "parameters"]
    assert parameters(RTCDtlsTransport._handle_rtp_data) == ["self", "data", "arrival_time_ms"]
    source = inspect.getsource(RTCDtlsTransport.__init__)
    for attribute in ("self._rx_srtp", "self._tx_srtp", "self._transport"):
        assert attribute in source
    assert callable(SessionDescription.parse)
    description = MediaDescription("audio", 9, "UDP/TLS/RTP/SAVPF", [111])
    for attribute in ("ssrc", "ssrc_group", "msid", "direction", "rtcp_mux", "dtls", "ice", "rtp"):
        assert hasattr(description, attribute)
    assert {"ssrc", "cname", "msid"} <= set(inspect.signature(SsrcDescription).parameters)


def test_pylibsrtp_internals() -> None:
    assert isinstance(Session()._srtp, ffi.CData)
    for name in ("srtp_protect", "srtp_unprotect", "srtp_protect_rtcp", "srtp_unprotect_rtcp"):
        assert str(ffi.typeof(getattr(lib, name))) == (
            "<ctype 'srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)'>"
        )


async def test_a_parked_connection_carries_rtp_through_the_shim() -> None:
    """Two peer connections over loopback, both on the shim: aiortc's media stack stays idle
    and a clear packet written on one side arrives unchanged on the other."""
    offerer = shim.create_peer_connection([])
    answerer = shim.create_peer_connection([])
    offerer.addTransceiver(shim.ParkedTrack("audio", "a"), direction="sendonly")
    shim.park(offerer.getTransceivers()[0])
    shim.restrict_gathering(offerer, [LOOPBACK], (41000, 41100))
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    shim.park(answerer.getTransceivers()[0])
    shim.restrict_gathering(answerer, [LOOPBACK], None)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(
        RTCSessionDescription(answerer.localDescription.sdp, "answer"))
    assert " 127.0.0.1 41" in offerer.localDescription.sdp

    received: list[bytes] = []
    sending = shim.RtpEndpoint(offerer, lambda b, n: None, lambda d: None)
    receiving = shim.RtpEndpoint(answerer, lambda b, n: received.append(bytes(b[:n])),
                                 lambda d: None)
    try:
        await eventually(lambda: sending.start() and receiving.start(), what="DTLS")
        media = shim.negotiated(offerer.getTransceivers()[0])
        assert media.mid == "0" and media.codecs[0].mimeType == "audio/opus"
        packet = struct.pack("!BBHII", 0x80, media.codecs[0].payloadType, 1, 2, media.ssrc)
        packet += b"payload"
        for _ in range(3):
            sending.out[: len(packet)] = packet
            sending.send_rtp(len(packet))
            await asyncio.sleep(0.05)
        assert received and received[0] == packet
        assert receiving.datagrams >= 3
    finally:
        sending.close()
        receiving.close()
        await offerer.close()
        await answerer.close()
