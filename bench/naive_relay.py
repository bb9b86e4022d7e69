"""The naive relay the SFU is compared with: aiortc's ``MediaRelay``, decode and re-encode.

``python -m bench.naive_relay --port N [--video-bitrate BPS]`` serves the subset of signaling
protocol v1 the bench's clients speak, on ``ws://127.0.0.1:N/rooms/ROOM/ws``: ``join`` (any
token) -> ``welcome``; the client's ``offer`` -> ``answer``; then server ``offer``s whenever
there is something new to receive, which the client ``answer``s; ``leave``. Every published
track is decoded once by aiortc's receiver and relayed (``MediaRelay``, unbuffered: a slow
encoder skips frames rather than queueing them) to every other participant, whose sender
encodes it again: one decoder per published track and one encoder per subscription. This is
what DESIGN.md calls an MCU; it exists here only to be measured against.

aiortc's VP8 encoder starts at 500 kb/s and only moves on REMB, which counting subscribers do
not send; ``--video-bitrate`` sets its start to the source's bitrate so that both servers send
about as many packets per frame.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay

ANSWER_TIMEOUT = 15.0


@dataclass
class Member:
    participant_id: str
    ws: Any
    pc: RTCPeerConnection
    published: list[MediaStreamTrack] = field(default_factory=list)
    receiving: set[int] = field(default_factory=set)
    """ids of the source tracks this member already receives."""
    answered: asyncio.Future[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await self.ws.send(json.dumps(message))


class NaiveRoom:
    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.members: dict[str, Member] = {}

    def sources_for(self, member: Member) -> list[MediaStreamTrack]:
        return [
            t for m in self.members.values() if m is not member for t in m.published
        ]

    def changed(self) -> None:
        for member in self.members.values():
            member.wake.set()

    async def negotiate(self, member: Member) -> None:
        """Offer each member what it does not receive yet, one exchange at a time."""
        while True:
            await member.wake.wait()
            member.wake.clear()
            new = [t for t in self.sources_for(member) if id(t) not in member.receiving]
            if not new:
                continue
            for track in new:
                member.receiving.add(id(track))
                member.pc.addTransceiver(
                    self.relay.subscribe(track, buffered=False), direction="sendonly"
                )
            await member.pc.setLocalDescription(await member.pc.createOffer())
            member.answered = asyncio.get_running_loop().create_future()
            await member.send({"type": "offer", "sdp": member.pc.localDescription.sdp})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(member.answered, ANSWER_TIMEOUT)

    async def serve(self, ws: Any) -> None:
        path = ws.request.path if ws.request is not None else ""
        if not path.startswith("/rooms/") or not path.endswith("/ws"):
            await ws.close(4404, "no such room")
            return
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if first.get("type") != "join":
            await ws.close(4401, "join first")
            return
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        member = Member("p-" + secrets.token_hex(6), ws, pc)
        pc.on("track", member.published.append)
        self.members[member.participant_id] = member
        await member.send({"type": "welcome", "v": 1, "participant_id": member.participant_id,
                           "streams": {}, "ice_servers": []})
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "offer":
                    await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "offer"))
                    await pc.setLocalDescription(await pc.createAnswer())
                    await member.send({"type": "answer", "sdp": pc.localDescription.sdp})
                    if member.task is None:
                        member.task = asyncio.get_running_loop().create_task(
                            self.negotiate(member)
                        )
                    self.changed()
                elif kind == "answer":
                    await pc.setRemoteDescription(RTCSessionDescription(message["sdp"], "answer"))
                    if member.answered is not None and not member.answered.done():
                        member.answered.set_result(None)
                elif kind == "ping":
                    await member.send({"type": "pong"})
                elif kind == "leave":
                    break
        except Exception:  # noqa: S110 - the socket closed
            pass
        finally:
            self.members.pop(member.participant_id, None)
            if member.task is not None:
                member.task.cancel()
            for track in member.published:
                track.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pc.close(), 5)


async def main(port: int, video_bitrate: int) -> None:
    import aioice.ice
    import aiortc.codecs.vpx as vpx
    from websockets.asyncio.server import serve

    def loopback(use_ipv4: bool = True, use_ipv6: bool = False) -> list[str]:
        return ["127.0.0.1"]

    aioice.ice.get_host_addresses = loopback
    vpx.DEFAULT_BITRATE = video_bitrate  # type: ignore[attr-defined]
    vpx.MAX_BITRATE = max(vpx.MAX_BITRATE, video_bitrate)  # type: ignore[attr-defined]
    room = NaiveRoom()
    async with serve(room.serve, "127.0.0.1", port, max_size=None):
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--video-bitrate", type=int, default=500_000)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(arguments.port, arguments.video_bitrate))
