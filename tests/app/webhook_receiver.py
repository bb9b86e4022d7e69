"""A real HTTP server on 127.0.0.1 that receives webhooks, for the delivery tests.

It answers each request with the next behaviour of a script (an HTTP status, or ``HANG``:
read the request and never answer), then the last one for ever, and keeps every request it
read (headers in lower case, body as bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus

HANG = -1


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    script: list[int]
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/rounds"

    def _next(self) -> int:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(method, path, headers, body))
            self.arrived.set()
            status = self._next()
            if status == HANG:
                await asyncio.sleep(3600)
            text = b"ok" if status < 300 else b"receiver trouble"
            writer.write(
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-length: {len(text)}\r\n"
                "connection: close\r\n\r\n".encode()
                + text
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def receiver(*script: int) -> AsyncIterator[Receiver]:
    """A receiver answering ``script`` (default: 200 to everything) while the block runs."""
    served = Receiver(list(script) or [200])
    handlers: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await served.handle(reader, writer)
        finally:
            handlers.discard(task)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    served.port = server.sockets[0].getsockname()[1]
    try:
        yield served
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await server.wait_closed()
