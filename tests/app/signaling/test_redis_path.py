"""With REDIS_URL set, the room's media facts reach other processes through the real Redis."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from app.routing import keys
from app.settings import Settings
from tests import services as svc
from tests.app.signaling.conftest import ROOM, Connect


@pytest.fixture
def settings(settings: Settings) -> Settings:
    if not svc.redis_reachable():
        svc.unavailable("Redis at 127.0.0.1:6379")
    return settings.model_copy(update={"redis_url": svc.REDIS_URL})


@pytest.mark.redis
async def test_participant_join_and_leave_are_published_on_redis(connect_peer: Connect) -> None:
    other_process = Redis.from_url(svc.REDIS_URL)
    pubsub = other_process.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(keys.MEDIA_EVENTS)
    try:
        peer = await connect_peer(user_id=99, name="Dr. Redis")
        await peer.wait_for("welcome")
        await peer.publish(video=False)
        seen: list[dict[str, object]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while loop.time() < deadline and not any(
            m["type"] == "ParticipantJoined" for m in seen
        ):
            raw = await pubsub.get_message(timeout=0.2)
            if raw:
                seen.append(json.loads(raw["data"]))
        joined = next(m for m in seen if m["type"] == "ParticipantJoined")
        assert joined["room_id"] == ROOM and joined["user_id"] == 99
        await peer.send({"type": "leave"})
        deadline = loop.time() + 10
        while loop.time() < deadline and not any(m["type"] == "ParticipantLeft" for m in seen):
            raw = await pubsub.get_message(timeout=0.2)
            if raw:
                seen.append(json.loads(raw["data"]))
        left = next(m for m in seen if m["type"] == "ParticipantLeft")
        assert left["reason"] == "left"
    finally:
        await pubsub.aclose()
        await other_process.aclose()
