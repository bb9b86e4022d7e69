"""One signaling connection: join, wait for the room to open, negotiate, relay, leave."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from typing import Any

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.join_tokens import JoinGrant, JoinTokens, TokenInvalid
from app.signaling import PROTOCOL_VERSION, lobby, protocol
from app.signaling.chat import ParticipantChat
from app.signaling.host_controls import REMOVED, HostControls
from app.signaling.interaction import ParticipantInteraction
from app.signaling.interaction_protocol import InteractionCommand
from app.signaling.limits import TokenBucket
from app.signaling.outbox import Outbox
from app.signaling.rooms import LiveRoom, LiveRooms
from courses.rooms import Entry, admission
from media.events import LeaveReason
from media.sfu import Participant
from media.sfu.errors import GlareError, NegotiationError, SfuError

log = structlog.get_logger(__name__)

JOIN_TIMEOUT = 10.0
MAX_BAD_MESSAGES = 20
MAX_RATE_VIOLATIONS = 50
RATE_PER_SECOND = 20.0
RATE_BURST = 100
NOT_ADMITTED = 4423


class _Close(Exception):
    def __init__(self, code: int, reason: str, message: str = "", error: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.message = message
        self.error = error


class SignalingSession:
    def __init__(self, websocket: WebSocket, rooms: LiveRooms, tokens: JoinTokens,
                 room_id: str, ice_servers: list[dict[str, Any]]) -> None:
        self.ws = websocket
        self.rooms = rooms
        self.tokens = tokens
        self.room_id = room_id
        self.ice_servers = ice_servers
        self.participant_id = "p-" + secrets.token_hex(6)
        self.outbox = Outbox(websocket, participant_id=self.participant_id)
        self.inbox: asyncio.Queue[protocol.ClientMessage | None] = asyncio.Queue()
        self.bucket = TokenBucket(RATE_PER_SECOND, RATE_BURST)
        self.bad_messages = 0
        self.rate_violations = 0
        self.grant: JoinGrant | None = None
        self.room: LiveRoom | None = None
        self.participant: Participant | None = None
        self.chat: ParticipantChat | None = None
        self.host: HostControls | None = None
        self.interaction: ParticipantInteraction | None = None
        self.left_reason: LeaveReason = "dropped"
        self._tasks: list[asyncio.Task[Any]] = []
        self.log = log.bind(room_id=room_id, participant_id=self.participant_id)

    async def run(self) -> None:
        await self.ws.accept()
        self.outbox.start()
        self._tasks.append(asyncio.create_task(self._read(), name="signaling-read"))
        try:
            await self._join()
            assert self.room is not None and self.grant is not None
            await self._admit()
            if not self.rooms.is_open(self.room, self.grant):
                self.outbox.send({"type": "waiting", "opens_at": self.room.starts_at.isoformat(),
                                  "title": self.room.title})
                await self._wait_until_open()
            await self._enter()
            await self._serve()
        except _Close as close:
            if close.message:
                self.outbox.send({"type": "error", "code": close.error or close.reason,
                                  "message": close.message})
            self.outbox.close(close.code, close.reason)
        finally:
            await self._cleanup()

    # -- reading -----------------------------------------------------------------------
    async def _read(self) -> None:
        """Parse frames into the inbox, answering bad ones with an error frame."""
        try:
            while True:
                raw = await self.ws.receive_text()
                if not self.bucket.take():
                    self.rate_violations += 1
                    self._error("rate_limited", "Too many messages; slow down.")
                    if self.rate_violations > MAX_RATE_VIOLATIONS:
                        self.log.warning("signaling.rate_limit_close")
                        self.outbox.close(4408, "rate limit exceeded")
                        break
                    continue
                try:
                    message = protocol.parse(raw)
                except protocol.ProtocolError as exc:
                    self._bad(exc.code, exc.message)
                    if self.bad_messages > MAX_BAD_MESSAGES:
                        self.outbox.close(4400, "too many bad messages")
                        break
                    continue
                self.inbox.put_nowait(message)
        except (WebSocketDisconnect, RuntimeError, KeyError):
            pass
        finally:
            self.inbox.put_nowait(None)

    def _error(self, code: str, message: str) -> None:
        self.outbox.send({"type": "error", "code": code, "message": message})

    def _bad(self, code: str, message: str) -> None:
        self.bad_messages += 1
        self.log.info("signaling.bad_message", code=code, detail=message[:200])
        self._error(code, message)

    async def _next(self) -> protocol.ClientMessage:
        message = await self.inbox.get()
        if message is None:
            raise _Close(1000, "gone")
        return message

    # -- phases ------------------------------------------------------------------------
    async def _join(self) -> None:
        try:
            async with asyncio.timeout(JOIN_TIMEOUT):
                message = await self._next()
        except TimeoutError:
            raise _Close(
                4401, "join timeout", "Send a join message first.", "join_timeout"
            ) from None
        if not isinstance(message, protocol.Join):
            raise _Close(4401, "join first", "The first message must be 'join'.", "join_first")
        if message.v != PROTOCOL_VERSION:
            raise _Close(4400, "protocol version",
                         f"This server speaks protocol version {PROTOCOL_VERSION}.",
                         "protocol_version")
        try:
            grant = self.tokens.verify(message.token)
        except TokenInvalid as exc:
            self.log.warning("signaling.token_refused", error=str(exc))
            raise _Close(4401, "bad token", str(exc), "bad_token") from None
        if grant.room_id != self.room_id:
            self.log.warning("signaling.token_wrong_room", token_room=grant.room_id)
            raise _Close(4403, "wrong room", "This token is for another room.", "wrong_room")
        self.grant = grant
        self.room = self.rooms.room(grant)
        self.log = self.log.bind(user_id=grant.user_id)

    async def _admit(self) -> None:
        """Let the person in, send them to the lobby, or turn them away (courses.rooms)."""
        assert self.room is not None and self.grant is not None
        room, grant = self.room, self.grant
        await self.rooms.load_settings(room)
        banned = await self.rooms.is_banned(room, grant)
        decision = admission(room.policy, is_host=grant.is_host,
                             is_guest=grant.guest_id is not None, locked=room.locked,
                             banned=banned)
        if decision.entry is Entry.REFUSE:
            self.log.info("signaling.not_admitted", reason=decision.reason, banned=banned)
            raise _Close(REMOVED if banned else NOT_ADMITTED, "not admitted", decision.reason,
                         "removed" if banned else "not_admitted")
        if decision.entry is Entry.LOBBY:
            await self._wait_in_lobby(decision.reason)

    async def _wait_in_lobby(self, message: str) -> None:
        assert self.room is not None and self.grant is not None
        grant = self.grant
        waiting = lobby.Waiting(
            participant_id=self.participant_id, name=grant.display_name, role=grant.role,
            guest=grant.guest_id is not None, arrived_at=self.rooms.clock.now(), outbox=self.outbox,
        )
        lobby.wait(self.room, waiting)
        self.outbox.send({"type": "lobby", "message": message, "title": self.room.title})
        try:
            await self._wait_for(waiting.decision, "Wait until a host lets you in.")
        finally:
            lobby.gone(self.room, self.participant_id)
        if not waiting.decision.result():
            raise _Close(NOT_ADMITTED, "denied", "A host did not let you in.", "denied")

    async def _wait_until_open(self) -> None:
        assert self.room is not None
        opened = asyncio.ensure_future(self.room.opened.wait())
        try:
            await self._wait_for(opened, "The room is not open yet; wait for 'welcome'.")
        finally:
            opened.cancel()

    async def _wait_for(self, event: asyncio.Future[Any], not_yet: str) -> None:
        """Answer pings (and a leave) until ``event`` is done."""
        while not event.done():
            reader = asyncio.create_task(self.inbox.get())
            done, _ = await asyncio.wait({event, reader}, return_when=asyncio.FIRST_COMPLETED)
            if reader not in done:
                reader.cancel()
                break
            message = reader.result()
            if message is None:
                raise _Close(1000, "gone")
            if isinstance(message, protocol.Leave):
                self.left_reason = "left"
                raise _Close(1000, "left")
            if isinstance(message, protocol.Ping):
                self.outbox.send({"type": "pong"})
            else:
                self._error("not_open", not_yet)

    async def _enter(self) -> None:
        assert self.room is not None and self.grant is not None
        try:
            self.participant = await self.rooms.enter(self.room, self.grant,
                                                      self.participant_id, self.outbox)
        except SfuError as exc:
            raise _Close(4409, "cannot join", str(exc), "cannot_join") from None
        self.outbox.send({
            "type": "welcome",
            "v": PROTOCOL_VERSION,
            "participant_id": self.participant_id,
            "room": {"id": self.room.room_id, "title": self.room.title,
                     "closes_at": self.room.closes_at.isoformat()},
            "you": {"display_name": self.grant.display_name, "is_host": self.grant.is_host,
                    "can_publish": self.grant.can_publish,
                    "can_share_screen": self.grant.can_share_screen,
                    "role": self.grant.role, "guest": self.grant.guest_id is not None},
            "ice_servers": self.ice_servers,
            **self.rooms.snapshot(self.room, host=self.grant.is_host),
        })
        me = self.room.present[self.participant_id]
        self.chat = ParticipantChat(self.room, me, self.rooms.chat_store, self.rooms.clock.now)
        self.host = HostControls(self.rooms, self.room, me)
        self.interaction = ParticipantInteraction(self.room, me, self.rooms.interaction_store,
                                                  self.rooms.clock.now)
        self._tasks.append(asyncio.create_task(self._relay_offers(), name="signaling-offers"))
        # polls and questions, right after welcome; off the path of the first offer (the
        # room's lock keeps the snapshot no older than a change already sent)
        self._tasks.append(asyncio.create_task(self.interaction.start(),
                                               name="signaling-interaction"))

    async def _relay_offers(self) -> None:
        assert self.participant is not None
        with contextlib.suppress(SfuError):
            async for offer in self.participant.offers():
                self.outbox.send({"type": "offer", "sdp": offer})

    async def _serve(self) -> None:
        assert self.participant is not None
        while True:
            message = await self._next()
            try:
                await self._handle(message)
            except GlareError as exc:
                self._error("glare", str(exc))
            except NegotiationError as exc:
                self.log.info("signaling.negotiation_refused", detail=str(exc)[:300])
                self._error("negotiation_failed", str(exc))

    async def _handle(self, message: protocol.ClientMessage) -> None:
        assert self.participant is not None and self.grant is not None
        match message:
            case protocol.Offer(sdp=sdp, tracks=tracks):
                answer = await self.participant.handle_offer(sdp, tracks)
                self.outbox.send({"type": "answer", "sdp": answer})
            case protocol.Answer(sdp=sdp):
                await self.participant.handle_answer(sdp)
            case protocol.Candidate(candidate=candidate, sdpMid=mid, sdpMLineIndex=index):
                await self.participant.add_ice_candidate(candidate, mid, index)
            case protocol.Mute(kind=kind, muted=muted):
                self.participant.set_muted(kind, muted)
            case protocol.Ping():
                self.outbox.send({"type": "pong"})
            case protocol.Leave():
                self.left_reason = "left"
                raise _Close(1000, "left")
            case protocol.CloseRoom():
                if not self._is_host():
                    self.log.warning("signaling.host_command_refused", command="close_room")
                    self._error("forbidden", "Only a host may close the room.")
                    return
                await self.rooms.close(self.room_id, "The host ended the session.", by_host=True)
            case protocol.Record(on=on):
                if not self._is_host():
                    self.log.warning("signaling.host_command_refused", command="record")
                    self._error("forbidden", "Only a host may start or stop recording.")
                    return
                assert self.room is not None
                problem = await self.rooms.set_recording(self.room, on, self.grant)
                if problem:
                    self._error("recording_failed", problem)
            case protocol.Chat(text=text, to=to):
                assert self.chat is not None
                await self.chat.send(text, to)
            case protocol.Hand(raised=raised, participant_id=target):
                assert self.chat is not None
                self.chat.hand(raised, target)
            case protocol.Admit() | protocol.Deny() | protocol.Lock() | protocol.SetGuestPolicy() \
                    | protocol.MuteParticipant() | protocol.MuteAll() | protocol.StopScreen() \
                    | protocol.Remove() | protocol.SetRole():
                assert self.host is not None
                await self.host.handle(message)
            case InteractionCommand():
                assert self.interaction is not None
                await self.interaction.handle(message)
            case protocol.Join():
                self._bad("already_joined", "You have already joined.")

    def _is_host(self) -> bool:
        """Host powers now (a co-host has them; the grant alone does not say)."""
        return self.host is not None and self.host.me.is_host

    async def _cleanup(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.room is not None and self.participant_id in self.room.present:
            await self.rooms.leave(self.room_id, self.participant_id, self.left_reason)
        if not self.outbox.closing:
            self.outbox.close(1000, "bye")
        await self.outbox.drain()
        self.log.info("signaling.closed", code=self.outbox.close_code)
