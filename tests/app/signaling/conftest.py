"""A real server (uvicorn in this event loop, live rooms on loopback) and signaling clients:
a WebSocket speaking protocol v1 and an aiortc peer connection playing the browser."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from app.cli import WS_MAX_BYTES
from app.join_tokens import JoinGrant
from app.main import create_app
from app.settings import Environment, Settings
from app.wiring import Services
from tests.services import free_port

ROOM = "activity-1"


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """Signaling needs no second database: SQLite only."""
    import shutil

    path = tmp_path / "rounds.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        ROUNDS_ENV=Environment.TEST,
        DATA_DIR=tmp_path / "data",
        DATABASE_URL=database_url,
        SECRET_KEY="signaling-test-secret-key-0123456789abcdef",
        SEED_DEMO=False,
        MIGRATE_ON_START=False,
        RTC_HOST_ADDRESSES="127.0.0.1",
        LOG_FORMAT="console",
    )


@dataclass
class Server:
    app: Starlette
    url: str

    @property
    def ws_base(self) -> str:
        return self.url.replace("http://", "ws://")

    def token(self, *, room_id: str = ROOM, user_id: int = 1, name: str = "Dr. Test",
              host: bool = False, starts_in: timedelta = timedelta(0),
              closes_in: timedelta = timedelta(hours=2), auto_record: bool = False,
              guest_id: int | None = None) -> str:
        now = self.app.state.services.clock.now()
        grant = JoinGrant(
            room_id=room_id, user_id=0 if guest_id is not None else user_id, display_name=name,
            role="host" if host else "guest" if guest_id is not None else "learner",
            title="Grand rounds",
            starts_at=(now + starts_in).isoformat(), closes_at=(now + closes_in).isoformat(),
            can_share_screen=host, is_host=host, auto_record=auto_record, guest_id=guest_id,
        )
        token: str = self.app.state.join_tokens.issue(grant)
        return token


@pytest.fixture
async def server(settings: Settings, services: Services) -> AsyncIterator[Server]:
    async with serving(create_app(settings, services=services)) as running:
        yield running


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[Server]:
    """``app`` served by uvicorn on a free loopback port, in this event loop."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on",
                            ws_max_size=WS_MAX_BYTES, access_log=False)
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Server(app, f"http://127.0.0.1:{port}")
    finally:
        uv.should_exit = True
        await asyncio.wait_for(task, 20)


@dataclass
class Peer:
    """One signaling connection, optionally with a WebRTC peer connection behind it."""

    ws: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    pc: RTCPeerConnection | None = None
    participant_id: str = ""
    _reader: asyncio.Task[None] | None = None
    frames: dict[str, int] = field(default_factory=dict)
    _counters: list[asyncio.Future[None]] = field(default_factory=list)

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                self.received.append(message)
                if message.get("type") == "offer" and self.pc is not None:
                    await self.pc.setRemoteDescription(
                        RTCSessionDescription(message["sdp"], "offer"))
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self.send({"type": "answer", "sdp": self.pc.localDescription.sdp})
                elif message.get("type") == "answer" and self.pc is not None:
                    await self.pc.setRemoteDescription(
                        RTCSessionDescription(message["sdp"], "answer"))
        except Exception:  # noqa: S110 - the socket closed; tests read close codes directly
            pass

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def wait_for(self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda m: True,
                       within: float = 10.0) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            for message in self.received:
                if message.get("type") == kind and where(message):
                    return message
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {kind!r} within {within}s; got {self.received}")

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == kind]

    async def publish(self, *, audio: bool = True, video: bool = True,
                      video_source: str = "camera") -> None:
        """Offer camera and microphone (aiortc's generated media), as the browser does;
        ``video_source="screen"`` labels the video a screen share."""
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        tracks: dict[str, str] = {}
        if audio:
            track = AudioStreamTrack()
            self.pc.addTrack(track)
            tracks[track.id] = "microphone"
        if video:
            vtrack = VideoStreamTrack()
            self.pc.addTrack(vtrack)
            tracks[vtrack.id] = video_source

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self._counters.append(asyncio.ensure_future(self._count(track)))

        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send({"type": "offer", "sdp": self.pc.localDescription.sdp, "tracks": tracks})

    async def _count(self, track: Any) -> None:
        self.frames.setdefault(track.kind, 0)
        while True:
            try:
                await track.recv()
            except Exception:
                return
            self.frames[track.kind] += 1

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        for counter in self._counters:
            counter.cancel()
        if self.pc is not None:
            await self.pc.close()
        await self.ws.close()


Connect = Callable[..., Awaitable[Peer]]


@pytest.fixture
async def connect_peer(server: Server) -> AsyncIterator[Connect]:
    peers: list[Peer] = []

    async def open_peer(token: str | None = None, *, room_id: str = ROOM, join: bool = True,
                        **grant: Any) -> Peer:
        ws = await connect(f"{server.ws_base}/rooms/{room_id}/ws", max_size=None)
        peer = Peer(ws)
        peers.append(peer)
        peer.start()
        if join:
            await peer.send({"type": "join", "token": token or server.token(room_id=room_id,
                                                                            **grant)})
        return peer

    yield open_peer
    for peer in peers:
        await peer.close()
