"""The in-process bus of the embedded default: one process, no services."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator

import structlog

from app.routing.base import Message

log = structlog.get_logger(__name__)

QUEUE_LIMIT = 10_000


class LocalBus:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Message | None]]] = defaultdict(set)

    async def publish(self, channel: str, message: Message) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.qsize() >= QUEUE_LIMIT:
                # A listener that stopped reading must not grow memory without bound.
                log.warning("bus.listener_behind_dropping", channel=channel)
                continue
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[Message]:
        queue: asyncio.Queue[Message | None] = asyncio.Queue()
        self._queues[channel].add(queue)
        try:
            while True:
                message = await queue.get()
                if message is None:
                    return
                yield message
        finally:
            self._queues[channel].discard(queue)

    async def close(self) -> None:
        for queues in self._queues.values():
            for queue in queues:
                queue.put_nowait(None)
