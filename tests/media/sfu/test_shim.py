"""The aiortc, aioice and pylibsrtp internals the shim relies on. When an upgrade moves any
of them these tests fail by name, before anything subtler does."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import struct
from collections.abc import AsyncIterator
from importlib.metadata import version

import aioice
import aioice.ice
import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender, RTCSessionDescription
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


async def test_the_idle_receiver_state_parking_drops_exists() -> None:
    pc = shim.create_peer_connection([])
    try:
        transceiver = pc.addTransceiver("video", direction="recvonly")
        for name in shim.IDLE_RECEIVER_STATE:
            assert getattr(transceiver.receiver, name) is not None, name
        shim.park(transceiver)
        for name in shim.IDLE_RECEIVER_STATE:
            assert getattr(transceiver.receiver, name) is None, name
    finally:
        await pc.close()


def test_pylibsrtp_internals() -> None:
    assert isinstance(Session()._srtp, ffi.CData)
    for name in ("srtp_protect", "srtp_unprotect", "srtp_protect_rtcp", "srtp_unprotect_rtcp"):
        assert str(ffi.typeof(getattr(lib, name))) == (
            "<ctype 'srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)'>"
        )


@contextlib.asynccontextmanager
async def parked_pair(
    on_rtp: shim.PacketHandler,
) -> AsyncIterator[tuple[shim.RtpEndpoint, shim.RtpEndpoint, RTCPeerConnection]]:
    """Two parked peer connections over loopback, connected: (sending endpoint, receiving
    endpoint handing its RTP to ``on_rtp``, the sending connection)."""
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
    sending = shim.RtpEndpoint(offerer, lambda b, n: None, lambda d: None)
    receiving = shim.RtpEndpoint(answerer, on_rtp, lambda d: None)
    try:
        await eventually(lambda: sending.start() and receiving.start(), what="DTLS")
        yield sending, receiving, offerer
    finally:
        sending.close()
        receiving.close()
        await offerer.close()
        await answerer.close()


def send(endpoint: shim.RtpEndpoint, pt: int, seq: int, ssrc: int) -> bytes:
    packet = struct.pack("!BBHII", 0x80, pt, seq, 2, ssrc) + b"payload"
    endpoint.out[: len(packet)] = packet
    endpoint.send_rtp(len(packet))
    return packet


async def test_a_parked_connection_carries_rtp_through_the_shim() -> None:
    """Two peer connections over loopback, both on the shim: aiortc's media stack stays idle
    and a clear packet written on one side arrives unchanged on the other."""
    received: list[bytes] = []
    async with parked_pair(lambda b, n: received.append(bytes(b[:n]))) as (
        sending, receiving, offerer
    ):
        media = shim.negotiated(offerer.getTransceivers()[0])
        assert media.mid == "0" and media.codecs[0].mimeType == "audio/opus"
        for _ in range(3):
            packet = send(sending, media.codecs[0].payloadType or 0, 1, media.ssrc)
            await asyncio.sleep(0.05)
        assert received and received[0] == packet
        assert receiving.datagrams >= 3


async def test_urgent_packets_waiting_in_the_socket_go_first() -> None:
    """A video burst waits in the socket when an audio packet arrives: audio is handled
    first, the video in its order, and nothing is lost."""
    received: list[tuple[int, int]] = []
    async with parked_pair(
        lambda b, n: received.append(struct.unpack_from("!xxHxxxxI", b))
    ) as (sending, receiving, _):
        audio, video = 0xA0D10, 0x71DE0
        receiving.urgent = {audio}
        for seq in range(20):  # all sent before the receiving side gets to run
            send(sending, 96, seq, video)
        send(sending, 111, 7, audio)
        await eventually(lambda: len(received) >= 21, what="every packet")
        assert received[0] == (7, audio)
        assert received[1:] == [(seq, video) for seq in range(20)]
        assert receiving.datagrams >= 21
