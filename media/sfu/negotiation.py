"""Offer/answer on one participant's peer connection.

Negotiation is serialized per participant (one lock). The client makes the first offer; after
that the server offers whenever its send-only m-lines change, and the client answers. The
client is the polite peer: an offer from it while a server offer waits for its answer is
refused with GlareError (aiortc cannot roll back, so the server cannot be polite).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import structlog
from aiortc import RTCPeerConnection, RTCSessionDescription

from . import _aiortc_shim as shim
from . import sdp
from .config import SfuConfig
from .errors import GlareError, NegotiationError, ParticipantClosed


class Negotiator:
    def __init__(
        self,
        pc: RTCPeerConnection,
        config: SfuConfig,
        log: structlog.typing.FilteringBoundLogger,
        prepare_offer: Callable[[RTCPeerConnection], bool],
    ) -> None:
        self._pc = pc
        self._config = config
        self._log = log
        self._prepare_offer = prepare_offer
        self._lock = asyncio.Lock()
        self._table = sdp.PayloadTable()
        self._offers: asyncio.Queue[str | None] = asyncio.Queue()
        self._needed = False
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._client_ufrag: str | None = None
        self._client_setup: str | None = None
        """The client's DTLS setup role, fixed by the first exchange."""
        self.completed = 0
        """Offer/answer exchanges completed (either side offering)."""

    async def answer(
        self,
        offer: sdp.ClientOffer,
        on_remote_applied: Callable[[], None],
        on_completed: Callable[[], None],
    ) -> str:
        """Apply a client offer and return the SFU's answer.

        ``on_remote_applied`` runs once aiortc has the offer (transceivers exist) and before
        the answer is made; ``on_completed`` once the answer is in place."""
        async with self._lock:
            if self._closed:
                raise ParticipantClosed("the participant has left")
            if self._pc.signalingState != "stable":
                raise GlareError(
                    "the server's offer is waiting for an answer; answer it, then offer again"
                )
            ufrag = offer.ice_ufrag
            if self._client_ufrag is not None and ufrag != self._client_ufrag:
                # aiortc keeps its first ICE session; accepting would silently cut the media
                raise NegotiationError("ICE restarts are not supported: leave and join again")
            remote = offer.sdp
            if self._client_setup is not None:
                remote = sdp.pin_setup(remote, "actpass")
            try:
                await self._pc.setRemoteDescription(RTCSessionDescription(remote, "offer"))
            except Exception as exc:
                self._log.warning("offer refused by aiortc", error=str(exc))
                raise NegotiationError(f"the offer was refused: {exc}") from exc
            self._table.learn(offer.description)
            for transceiver in self._pc.getTransceivers():
                shim.park(transceiver)
            if not self.completed:
                shim.restrict_gathering(
                    self._pc, self._config.host_addresses, self._config.udp_port_range
                )
            on_remote_applied()
            try:
                await self._pc.setLocalDescription(await self._pc.createAnswer())
            except Exception as exc:
                self._log.error("could not answer an accepted offer", error=str(exc))
                raise NegotiationError(f"the SFU could not answer the offer: {exc}") from exc
            local = str(self._pc.localDescription.sdp)
            self._client_ufrag = ufrag
            if self._client_setup is None:
                self._client_setup = "passive" if sdp.setup_of(local) == "active" else "active"
            self.completed += 1
            on_completed()
            return local

    async def accept_answer(self, answer: str, on_completed: Callable[[], None]) -> None:
        sdp.check_answer(answer)
        if self._client_setup is not None:
            answer = sdp.pin_setup(answer, self._client_setup)
        async with self._lock:
            if self._closed:
                raise ParticipantClosed("the participant has left")
            if self._pc.signalingState != "have-local-offer":
                raise NegotiationError("there is no server offer waiting for an answer")
            try:
                await self._pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
            except Exception as exc:
                self._log.warning("answer refused by aiortc", error=str(exc))
                raise NegotiationError(f"the answer was refused: {exc}") from exc
            self.completed += 1
            on_completed()
        self._schedule()

    def needed(self) -> None:
        """Something the server sends changed: offer once the connection is stable."""
        self._needed = True
        self._schedule()

    def _schedule(self) -> None:
        if (
            self._needed
            and self.completed
            and not self._closed
            and (self._task is None or self._task.done())
        ):
            self._task = asyncio.get_running_loop().create_task(self._offer())

    async def _offer(self) -> None:
        async with self._lock:
            if self._closed or not self._needed or self._pc.signalingState != "stable":
                return
            self._needed = False
            try:
                if not self._prepare_offer(self._pc):
                    return
                offer = await self._pc.createOffer()
                local = self._table.rewrite_offer(offer.sdp)
                await self._pc.setLocalDescription(RTCSessionDescription(local, "offer"))
            except Exception:
                self._log.exception("could not make an offer")
                return
            self._offers.put_nowait(str(self._pc.localDescription.sdp))

    async def offers(self) -> AsyncIterator[str]:
        while True:
            offer = await self._offers.get()
            if offer is None:
                return
            yield offer

    async def close(self) -> None:
        self._closed = True
        self._offers.put_nowait(None)
        if self._task is not None and not self._task.done():
            self._task.cancel()
