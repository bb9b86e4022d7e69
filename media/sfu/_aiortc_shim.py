"""The one module that touches aiortc's, aioice's and pylibsrtp's private parts.

aiortc gives the SFU signaling (SDP), ICE, DTLS and the SRTP keys. Everything after that is
taken over here, because aiortc's receiver always decodes and its sender always encodes:

- ``park`` keeps every RTCRtpSender and RTCRtpReceiver from starting: no sender loop polling
  its track (senders also sit on a ``ParkedTrack`` that never yields, which carries the msid
  track id), no decoder thread, no jitter buffer; the negotiated parameters are read back with
  ``negotiated``.
- ``RtpEndpoint`` wraps ``datagram_received`` of the ICE connection's sockets: SRTP and SRTCP
  are unprotected here with the DTLS transport's own libsrtp sessions and handed over as clear
  packets; STUN and DTLS go on to aioice and aiortc as before. When an RTP packet arrives, what
  else already waits in that socket is read too (through a duplicate of the socket), and
  packets of the ``urgent`` SSRCs (the participant's audio) are handled first: a video
  keyframe fanned out to a hundred subscribers takes tens of milliseconds, and audio should
  not queue behind it. Clear packets written into ``RtpEndpoint.out`` are protected in that
  same buffer and sent with the selected pair's ``sendto``. ``refresh`` (every RTCP interval)
  hooks any socket not hooked yet and follows the selected pair if it changes (a
  re-nomination). aiortc keeps one ICE session per peer connection; ICE restarts are refused
  at negotiation rather than silently broken.
- ``restrict_gathering`` makes a connection gather host candidates only on the configured
  addresses (127.0.0.1 included, which aioice leaves out) and ports.

Tested with the versions in ``TESTED_VERSIONS``; tests/media/sfu/test_shim.py fails loudly
when an upgrade moves any attribute used here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import aioice.ice
import structlog
from aioice import Candidate
from aioice.candidate import candidate_foundation, candidate_priority
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpCodecParameters,
    RTCRtpTransceiver,
)
from pylibsrtp._binding import ffi, lib

log = structlog.get_logger(__name__)

TESTED_VERSIONS = {"aiortc": "1.16", "aioice": "0.13", "pylibsrtp": "1.0"}
"""Minor versions this shim is tested with; pin them (pyproject) to these."""

MAX_PACKET = 1500
MAX_BATCH = 64
"""Datagrams one socket may read ahead per event-loop callback (others get their turn)."""
_MAX_DATAGRAM = 65535
_SRTP_TRAILER = 148  # pylibsrtp's SRTP_MAX_SRTCP_TRAILER_LEN
_PARKED = "_rounds_parked"
_GATHERING = "_rounds_gathering"

PacketHandler = Callable[[memoryview, int], None]
"""Receives a clear RTP packet: the buffer (valid only during the call) and its length."""
PacketFilter = Callable[[memoryview, int], bool]
"""Test seam: sees each clear packet about to be sent; False drops it."""


def create_peer_connection(ice_servers: Sequence[RTCIceServer]) -> RTCPeerConnection:
    """Max-bundle, so that every m-line of a participant rides on one ICE/DTLS transport."""
    configuration = RTCConfiguration(
        iceServers=list(ice_servers), bundlePolicy=RTCBundlePolicy.MAX_BUNDLE
    )
    return RTCPeerConnection(configuration)


class ParkedTrack(MediaStreamTrack):
    """A track that never yields a frame: gives a sender its msid track id and nothing else."""

    def __init__(self, kind: str, track_id: str) -> None:
        super().__init__()
        self.kind = kind
        self._id = track_id

    async def recv(self) -> Any:
        await asyncio.Future()  # never resolves: nothing is ever encoded


async def _not_started(parameters: object) -> None:
    return None


IDLE_RECEIVER_STATE = (
    "_RTCRtpReceiver__jitter_buffer",
    "_RTCRtpReceiver__nack_generator",
    "_RTCRtpReceiver__remote_bitrate_estimator",
)
"""What aiortc's receiver builds up front and only its (never started) receive path uses:
about 100 kB per video m-line, mostly a bitrate estimator's 1000-slot rate counter."""


def park(transceiver: RTCRtpTransceiver) -> None:
    """Keep aiortc's sender and receiver of this transceiver from ever starting, and drop
    the receiver's state for a receive path that will never run (a parked receiver is never
    registered with the DTLS transport, so no packet can reach it)."""
    if getattr(transceiver, _PARKED, False):
        return
    transceiver.sender.send = _not_started  # type: ignore[method-assign]
    receiver = transceiver.receiver
    receiver.receive = _not_started  # type: ignore[method-assign]
    for name in IDLE_RECEIVER_STATE:
        if getattr(receiver, name, None) is not None:
            setattr(receiver, name, None)
    setattr(transceiver, _PARKED, True)


def add_sender(
    pc: RTCPeerConnection,
    kind: str,
    track_id: str,
    stream_id: str,
    codecs: list[RTCRtpCodecCapability],
) -> RTCRtpTransceiver:
    """A parked send-only transceiver whose m-line carries msid ``stream_id track_id``."""
    transceiver = pc.addTransceiver(ParkedTrack(kind, track_id), direction="sendonly")
    park(transceiver)
    transceiver.sender._stream_id = stream_id
    transceiver.setCodecPreferences(codecs)
    return transceiver


def rebind_sender(
    transceiver: RTCRtpTransceiver,
    track_id: str,
    stream_id: str,
    codecs: list[RTCRtpCodecCapability],
) -> None:
    """Reuse an idle transceiver for another track (the m-line's msid changes)."""
    transceiver.sender.replaceTrack(ParkedTrack(transceiver.kind, track_id))
    transceiver.sender._stream_id = stream_id
    transceiver.setCodecPreferences(codecs)
    transceiver.direction = "sendonly"


@dataclass(frozen=True, slots=True)
class NegotiatedMedia:
    """What one m-line ended up with after an offer/answer exchange."""

    mid: str | None
    kind: str
    direction: str | None
    codecs: tuple[RTCRtpCodecParameters, ...]
    header_extensions: dict[str, int]
    ssrc: int
    """The SFU's own SSRC on this m-line (its sender's; also the RTCP sender SSRC)."""
    rtx_ssrc: int


def negotiated(transceiver: RTCRtpTransceiver) -> NegotiatedMedia:
    return NegotiatedMedia(
        mid=transceiver.mid,
        kind=transceiver.kind,
        direction=transceiver.currentDirection,
        codecs=tuple(transceiver._codecs),
        header_extensions={x.uri: x.id for x in transceiver._headerExtensions},
        ssrc=transceiver.sender._ssrc,
        rtx_ssrc=transceiver.sender._rtx_ssrc,
    )


def _ice_connections(pc: RTCPeerConnection) -> list[aioice.Connection]:
    seen: list[aioice.Connection] = []
    for transceiver in pc.getTransceivers():
        connection = transceiver.receiver.transport.transport._connection
        if connection not in seen:
            seen.append(connection)
    return seen


def restrict_gathering(
    pc: RTCPeerConnection, addresses: Sequence[str], port_range: tuple[int, int] | None
) -> None:
    """Gather host candidates only on ``addresses`` (all but loopback when empty) and, if
    given, only on ports in ``port_range``. Call before the local description is set."""
    if not addresses and port_range is None:
        return
    for connection in _ice_connections(pc):
        if getattr(connection, _GATHERING, False):
            continue
        original = connection.get_component_candidates

        async def get_component_candidates(
            component: int,
            addresses: list[str],
            timeout: int = 5,  # noqa: ASYNC109 - aioice's own signature
            *,
            _connection: aioice.Connection = connection,
            _original: Any = original,
            _wanted: Sequence[str] = addresses,
        ) -> list[Candidate]:
            chosen = list(_wanted) or addresses
            if port_range is None:
                return list(
                    await _original(component=component, addresses=chosen, timeout=timeout)
                )
            return await _gather_in_range(
                _connection, _original, component, chosen, port_range, timeout
            )

        connection.get_component_candidates = get_component_candidates  # type: ignore[method-assign]
        setattr(connection, _GATHERING, True)


async def _gather_in_range(
    connection: aioice.Connection,
    original: Any,
    component: int,
    addresses: list[str],
    port_range: tuple[int, int],
    timeout: int,  # noqa: ASYNC109 - aioice's gathering timeout, passed on
) -> list[Candidate]:
    loop = asyncio.get_running_loop()
    candidates: list[Candidate] = []
    protocols: list[aioice.ice.StunProtocol] = []
    for address in addresses:
        protocol = await _bind_in_range(loop, connection, address, port_range)
        if protocol is None:
            continue
        host, port = protocol.transport.get_extra_info("sockname")[:2]
        protocol.local_candidate = Candidate(
            foundation=candidate_foundation("host", "udp", host),
            component=component,
            transport="udp",
            priority=candidate_priority(component, "host"),
            host=host,
            port=port,
            type="host",
        )
        candidates.append(protocol.local_candidate)
        protocols.append(protocol)
    connection._protocols += protocols
    if connection.stun_server:
        queries = [
            aioice.ice.server_reflexive_candidate(p, connection.stun_server)
            for p in protocols
            if ipaddress.ip_address(p.local_candidate.host).version == 4
        ]
        if queries:
            done = await asyncio.wait_for(
                asyncio.gather(*queries, return_exceptions=True), timeout
            )
            candidates += [c for c, _ in (x for x in done if isinstance(x, tuple))]
    # TURN: aioice's own code; given no addresses it opens no host sockets of its own
    candidates += await original(component=component, addresses=[], timeout=timeout)
    return candidates


async def _bind_in_range(
    loop: asyncio.AbstractEventLoop,
    connection: aioice.Connection,
    address: str,
    port_range: tuple[int, int],
) -> aioice.ice.StunProtocol | None:
    low, high = port_range
    count = high - low + 1
    first = random.randrange(count)  # noqa: S311 - spreading ports, not a secret
    for i in range(count):
        port = low + (first + i) % count
        try:
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: aioice.ice.StunProtocol(connection), local_addr=(address, port)
            )
        except OSError:
            continue
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024 * 1024)
        return protocol
    return None


class RtpEndpoint:
    """The SFU's own RTP/RTCP path on one peer connection (see the module docstring).

    ``on_rtp`` gets clear RTP in a reused buffer; ``on_rtcp`` gets clear RTCP as bytes. Write a
    clear packet into ``out`` and call ``send_rtp(length)``; nothing is allocated either way.
    """

    def __init__(
        self,
        pc: RTCPeerConnection,
        on_rtp: PacketHandler,
        on_rtcp: Callable[[bytes], None],
        packet_filter: PacketFilter | None = None,
    ) -> None:
        self._pc = pc
        self._on_rtp = on_rtp
        self._on_rtcp = on_rtcp
        self._filter = packet_filter
        self._rx_cdata = ffi.new("unsigned char[]", MAX_PACKET + _SRTP_TRAILER)
        self._rx_view = memoryview(ffi.buffer(self._rx_cdata))
        self._rx_length = ffi.new("int *")
        self._tx_cdata = ffi.new("unsigned char[]", MAX_PACKET + _SRTP_TRAILER)
        self._tx_view = memoryview(ffi.buffer(self._tx_cdata))
        self._tx_length = ffi.new("int *")
        self.out = self._tx_view[:MAX_PACKET]
        """Where a clear packet to send is written (``MAX_PACKET`` bytes)."""
        self._rx_ctx: Any = None
        self._tx_ctx: Any = None
        self._connection: aioice.Connection | None = None
        self._hooked: dict[int, Callable[[bytes, Any], None]] = {}
        self._sockets: list[socket.socket] = []
        """Duplicates of the hooked sockets, to read ahead what waits in them."""
        self.urgent: Collection[int] = frozenset()
        """SSRCs whose packets are handled before others waiting in the same socket."""
        self._sendto: Callable[[Any, Any], None] | None = None
        self._addr: Any = None
        self.ready = False
        self.datagrams = 0
        """Every datagram received (RTP, RTCP, STUN consent, DTLS): the liveness counter."""
        self.sent_packets = 0
        self.protect_failures = 0
        """Packets SRTP refused to protect (a sequence number far behind what it sent)."""
        self.errors = 0

    def start(self) -> bool:
        """Take over once DTLS is connected (SRTP keys exist); False if it is not yet."""
        transceivers = self._pc.getTransceivers()
        if not transceivers:
            return False
        dtls = transceivers[0].receiver.transport
        if dtls.state != "connected" or dtls._rx_srtp is None or dtls._tx_srtp is None:
            return False
        self._rx_ctx = dtls._rx_srtp._srtp[0]
        self._tx_ctx = dtls._tx_srtp._srtp[0]
        self._connection = dtls.transport._connection
        self.ready = True
        self.refresh()
        return True

    def refresh(self) -> None:
        """Hook sockets not hooked yet; follow the selected candidate pair."""
        connection = self._connection
        if connection is None or not self.ready:
            return
        for protocol in connection._protocols:
            if id(protocol) not in self._hooked:
                original = protocol.datagram_received
                self._hooked[id(protocol)] = original
                protocol.datagram_received = self._hook(  # type: ignore[method-assign,assignment]
                    original, self._duplicate(protocol)
                )
        pair = connection._nominated.get(1)
        if pair is not None:
            self._sendto = pair.protocol.transport.sendto
            self._addr = pair.remote_addr

    def close(self) -> None:
        self.ready = False
        self._sendto = None
        self._on_rtp = _drop_rtp
        self._on_rtcp = _drop_rtcp
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()

    def _duplicate(self, protocol: Any) -> socket.socket | None:
        """A socket object of our own on the protocol's socket (asyncio lends none)."""
        transport = getattr(protocol, "transport", None)
        lent = transport.get_extra_info("socket") if transport is not None else None
        if lent is None:
            return None
        try:
            sock: socket.socket = lent.dup()
            sock.setblocking(False)
        except OSError:
            return None
        self._sockets.append(sock)
        return sock

    def _hook(
        self, original: Callable[[bytes, Any], None], sock: socket.socket | None
    ) -> Callable[[bytes, Any], None]:
        rx_cdata = self._rx_cdata
        rx_view = self._rx_view
        rx_length = self._rx_length
        unprotect = lib.srtp_unprotect
        unprotect_rtcp = lib.srtp_unprotect_rtcp
        first: deque[tuple[bytes, Any]] = deque()
        later: deque[tuple[bytes, Any]] = deque()

        def handle(data: bytes, addr: Any) -> None:
            n = len(data)
            if n < 12 or not 127 < data[0] < 192 or not self.ready:
                original(data, addr)  # STUN, DTLS, or before SRTP: aioice and aiortc's way
                return
            if n > MAX_PACKET:  # protected, so the clear packet fits every buffer
                return
            rx_view[:n] = data
            rx_length[0] = n
            try:
                if 191 < data[1] < 224:  # RTCP (RFC 5761 4)
                    if unprotect_rtcp(self._rx_ctx, rx_cdata, rx_length) == 0:
                        self._on_rtcp(bytes(rx_view[: rx_length[0]]))
                elif unprotect(self._rx_ctx, rx_cdata, rx_length) == 0:
                    self._on_rtp(rx_view, rx_length[0])
            except Exception:  # a bug or a malformed packet must not take the socket down
                self.errors += 1
                if self.errors <= 3:
                    log.exception("packet handling failed", errors=self.errors)

        def queue(data: bytes, addr: Any) -> None:
            if (
                len(data) >= 12
                and 127 < data[0] < 192
                and not 191 < data[1] < 224
                and int.from_bytes(data[8:12], "big") in self.urgent
            ):
                first.append((data, addr))
            else:
                later.append((data, addr))

        def datagram_received(data: bytes, addr: Any) -> None:
            if sock is None or len(data) < 12 or not 127 < data[0] < 192 or not self.ready:
                self.datagrams += 1
                handle(data, addr)
                return
            # SRTP or SRTCP: read ahead what already waits, and take urgent packets first
            queue(data, addr)
            budget = MAX_BATCH
            while first or later:
                while budget > 0:
                    try:
                        queue(*sock.recvfrom(_MAX_DATAGRAM))
                    except OSError:  # BlockingIOError: nothing more waits
                        break
                    budget -= 1
                self.datagrams += 1
                handle(*(first.popleft() if first else later.popleft()))

        return datagram_received

    def send_rtp(self, n: int) -> None:
        """Protect the n clear bytes in ``out`` in place and send them."""
        sendto = self._sendto
        if sendto is None or n > MAX_PACKET:
            return
        if self._filter is not None and not self._filter(self._tx_view, n):
            return
        length = self._tx_length
        length[0] = n
        if lib.srtp_protect(self._tx_ctx, self._tx_cdata, length) == 0:
            sendto(self._tx_view[: length[0]], self._addr)
            self.sent_packets += 1
        else:
            self.protect_failures += 1

    def send_rtcp(self, data: bytes) -> None:
        sendto = self._sendto
        n = len(data)
        if sendto is None or n > MAX_PACKET:
            return
        self._tx_view[:n] = data
        length = self._tx_length
        length[0] = n
        if lib.srtp_protect_rtcp(self._tx_ctx, self._tx_cdata, length) == 0:
            sendto(self._tx_view[: length[0]], self._addr)


def _drop_rtp(packet: memoryview, n: int) -> None:
    return None


def _drop_rtcp(packet: bytes) -> None:
    return None
