"""The WebSocket route for a live room's signaling."""

from __future__ import annotations

import re

from starlette.websockets import WebSocket

from app.live import browser_ice_servers
from app.signaling.session import SignalingSession

ROOM_ID = re.compile(r"^(activity|meeting)-[1-9][0-9]{0,9}$")


async def room_socket(websocket: WebSocket) -> None:
    room_id = websocket.path_params["room_id"]
    rooms = getattr(websocket.app.state, "live_rooms", None)
    # Accept before refusing: a browser sees close codes, never the handshake's HTTP status.
    if not ROOM_ID.fullmatch(room_id):
        await websocket.accept()
        await websocket.close(4404, "no such room")
        return
    if rooms is None:
        await websocket.accept()
        await websocket.close(1013, "live rooms are not running in this process")
        return
    session = SignalingSession(
        websocket,
        rooms,
        websocket.app.state.join_tokens,
        room_id,
        browser_ice_servers(websocket.app.state.settings),
    )
    await session.run()
