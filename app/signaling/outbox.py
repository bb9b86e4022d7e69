"""A client's outgoing messages: queued, written by one task, never blocking the sender.

A client that stops reading (a frozen tab) fills its queue and is disconnected instead of
holding up the room's broadcasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import structlog
from starlette.websockets import WebSocket, WebSocketState

log = structlog.get_logger(__name__)

QUEUE_LIMIT = 512
CLOSE = object()


class Outbox:
    def __init__(self, websocket: WebSocket, *, participant_id: str = "") -> None:
        self.websocket = websocket
        self.participant_id = participant_id
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self.close_code = 1000

    def start(self) -> None:
        self._task = asyncio.create_task(self._write(), name="signaling-outbox")

    def send(self, message: dict[str, Any]) -> None:
        if self._closed.is_set():
            return
        if self._queue.qsize() >= QUEUE_LIMIT:
            log.warning("signaling.client_too_slow", participant_id=self.participant_id)
            self.close(1013, "Too slow to receive; reconnect.")
            return
        self._queue.put_nowait(message)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send what is queued, then close the socket with ``code``."""
        if self._closed.is_set():
            return
        self.close_code = code
        self._queue.put_nowait((CLOSE, code, reason))
        self._closed.set()

    @property
    def closing(self) -> bool:
        return self._closed.is_set()

    async def _write(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, tuple) and item and item[0] is CLOSE:
                    _, code, reason = item
                    if self.websocket.application_state == WebSocketState.CONNECTED:
                        with contextlib.suppress(Exception):
                            await self.websocket.close(code, reason[:120])
                    return
                await self.websocket.send_text(json.dumps(item, separators=(",", ":")))
        except Exception as exc:  # the peer went away; the reader notices and cleans up
            log.debug("signaling.write_failed", error=repr(exc))

    async def drain(self, within: float = 2.0) -> None:
        """Wait (briefly) for queued messages and the close to be written."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), within)
            if not self._task.done():
                self._task.cancel()
