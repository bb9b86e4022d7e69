"""Sfu: one process's rooms, and the delivery of what they emit to app/'s event sink."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

import structlog

from media.events import MediaEvent

from .config import SfuConfig
from .errors import RoomFull
from .room import PacketFilter, Room

log = structlog.get_logger(__name__)


class EventSink(Protocol):
    """Where media events go: a plain or async callable (app/ routes them over its bus).

    Events are delivered one at a time, in the order they happened; a sink that raises is
    logged and does not stop delivery."""

    def __call__(self, event: MediaEvent, /) -> Awaitable[None] | None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class Sfu:
    def __init__(
        self,
        config: SfuConfig,
        events: EventSink,
        *,
        clock: Callable[[], datetime] = utc_now,
        packet_filter: PacketFilter | None = None,
    ) -> None:
        """``packet_filter`` is a test seam: it sees every clear packet about to be sent to a
        participant (participant id, buffer, length) and drops it by returning False."""
        self.config = config
        self._sink = events
        self._clock = clock
        self._packet_filter = packet_filter
        self._rooms: dict[str, Room] = {}
        self._queue: asyncio.Queue[MediaEvent | None] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None
        self._delivering = False

    @property
    def rooms(self) -> dict[str, Room]:
        return dict(self._rooms)

    def room(self, room_id: str) -> Room:
        """The room with this id, created on first use."""
        room = self._rooms.get(room_id)
        if room is None or room.closed:
            if len(self._rooms) >= self.config.max_rooms:
                raise RoomFull("this SFU process has as many rooms as it may")
            room = Room(room_id, self.config, self._emit, self._clock, self._packet_filter)
            self._rooms[room_id] = room
            log.info("room created", room_id=room_id)
        return room

    def get_room(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    async def close_room(self, room_id: str) -> None:
        room = self._rooms.pop(room_id, None)
        if room is not None:
            await room.close()
            log.info("room closed", room_id=room_id)

    async def close(self) -> None:
        """Close every room and deliver the events that produces."""
        for room_id in list(self._rooms):
            await self.close_room(room_id)
        if self._dispatcher is not None:
            self._queue.put_nowait(None)
            await self._dispatcher
            self._dispatcher = None

    def _emit(self, event: MediaEvent) -> None:
        self._queue.put_nowait(event)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.get_running_loop().create_task(self._deliver())

    async def _deliver(self) -> None:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            self._delivering = True
            try:
                result = self._sink(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("event sink failed", event_type=type(event).__name__)
            finally:
                self._delivering = False
