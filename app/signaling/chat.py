"""In-room chat and raised hands, over the room's signaling socket.

Chat: a message goes to everyone, or privately to the hosts (and back to its sender). Text is
stripped and limited to ``courses.chat.MAX_TEXT`` characters; each participant may send
``CHAT_BURST`` messages at once and ``CHAT_RATE`` a second after that, on top of the socket's
own limits. A message is kept (``ChatStore``) before it is delivered, so the transcript holds
exactly what people saw; text travels verbatim and the browser shows it as text.

Hands: the queue is in the order hands went up; leaving the room takes one's hand down. Anyone
raises or lowers their own; a host lowers anyone's. Everyone gets the queue (``hands``) when
it changes, and newcomers get it in ``welcome``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from app.signaling.limits import TokenBucket
from courses.chat import ChatService, clean_text
from courses.errors import InvalidInput

if TYPE_CHECKING:
    from app.signaling.rooms import LiveRoom, Presence
    from app.wiring import Services

log = structlog.get_logger(__name__)

CHAT_BURST = 5
CHAT_RATE = 1.0
"""Five messages at once, then one a second: 5 per 5 s sustained."""
HAND_BURST = 5
HAND_RATE = 1.0
TOO_FAST = "You are sending messages too fast; wait a moment."


@dataclass(frozen=True)
class RaisedHand:
    participant_id: str
    name: str
    raised_at: datetime

    def public(self) -> dict[str, str]:
        return {
            "participant_id": self.participant_id,
            "name": self.name,
            "raised_at": self.raised_at.isoformat(),
        }


def hand_queue(room: LiveRoom) -> list[dict[str, str]]:
    """The raised hands, first raised first."""
    return [hand.public() for hand in room.hands.values()]


def lower_on_leave(room: LiveRoom, participant_id: str) -> None:
    """Someone left: their hand comes down, and the others see the queue without it."""
    if room.hands.pop(participant_id, None) is not None:
        room.broadcast({"type": "hands", "queue": hand_queue(room)})


class ChatStore:
    """Keeps delivered messages with the live session (``courses.chat``)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def keep(
        self, *, room_id: str, sender: Presence, audience: str, text: str, at: datetime
    ) -> int:
        """The kept message's id."""
        async with self.services.unit() as unit:
            row = await ChatService(unit.session, unit.clock).record(
                room_id=room_id,
                participant_id=sender.participant_id,
                user_id=sender.user_id,
                sender_name=sender.display_name,
                audience=audience,
                text=text,
                sent_at=at,
            )
        assert row.id is not None
        return row.id


class ParticipantChat:
    """One participant's chat and hand in one room: their limits, what they may do."""

    _unkept_ids = itertools.count(1)

    def __init__(self, room: LiveRoom, me: Presence, store: ChatStore | None, now: Any) -> None:
        self.room = room
        self.me = me
        self.store = store
        self.now = now
        self.chat_bucket = TokenBucket(CHAT_RATE, CHAT_BURST)
        self.hand_bucket = TokenBucket(HAND_RATE, HAND_BURST)
        self.log = log.bind(
            room_id=room.room_id, participant_id=me.participant_id, user_id=me.user_id
        )

    def _error(self, code: str, message: str) -> None:
        self.me.outbox.send({"type": "error", "code": code, "message": message})

    async def send(self, text: str, to: str) -> None:
        try:
            body = clean_text(text)
        except InvalidInput as exc:
            self._error("chat_invalid", exc.errors["text"])
            return
        if not self.chat_bucket.take():
            self.log.info("room.chat_rate_limited")
            self._error("chat_rate_limited", TOO_FAST)
            return
        at: datetime = self.now()
        if self.store is None:
            message_id = next(self._unkept_ids)
        else:
            try:
                message_id = await self.store.keep(
                    room_id=self.room.room_id, sender=self.me, audience=to, text=body, at=at
                )
            except Exception:
                self.log.exception("room.chat_not_kept")
                self._error("chat_failed", "Your message could not be sent; try again.")
                return
        message = {
            "type": "chat",
            "id": message_id,
            "from": {
                "participant_id": self.me.participant_id,
                "name": self.me.display_name,
                "role": self.me.role,
            },
            "text": body,
            "to": to,
            "at": at.isoformat(),
        }
        for presence in list(self.room.present.values()):
            if to == "everyone" or presence.is_host or presence is self.me:
                presence.outbox.send(message)
        self.log.info("room.chat", message_id=message_id, audience=to, chars=len(body))

    def hand(self, raised: bool, participant_id: str | None) -> None:
        target = participant_id or self.me.participant_id
        if target != self.me.participant_id:
            if not self.me.is_host:
                self.log.warning(
                    "signaling.host_command_refused", command="lower_hand", target=target
                )
                self._error("forbidden", "Only a host may lower someone else's hand.")
                return
            if raised:
                self._error("forbidden", "Only the person themselves may raise their hand.")
                return
        if not self.hand_bucket.take():
            self._error("hand_rate_limited", TOO_FAST)
            return
        hands = self.room.hands
        if raised and target not in hands:
            hands[target] = RaisedHand(target, self.me.display_name, self.now())
            self.log.info("room.hand_raised")
        elif not raised and target in hands:
            del hands[target]
            self.log.info(
                "room.hand_lowered",
                target=target,
                by="host" if target != self.me.participant_id else "self",
            )
        else:
            # nothing changed (already up, already down): bring the asker's view up to date
            self.me.outbox.send({"type": "hands", "queue": hand_queue(self.room)})
            return
        self.room.broadcast({"type": "hands", "queue": hand_queue(self.room)})
