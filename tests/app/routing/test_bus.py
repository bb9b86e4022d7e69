"""The event bus: in-process, and over the real Redis between two 'processes'."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from app.routing.base import Bus, Message
from app.routing.codec import decode, encode
from app.routing.local import LocalBus
from app.routing.redis import RedisBus
from media import events
from tests import services as svc

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _collect(bus: Bus, channel: str, count: int, into: list[Message]) -> None:
    async for message in bus.subscribe(channel):
        into.append(message)
        if len(into) >= count:
            return


async def _roundtrip(sender: Bus, receiver: Bus, channel: str) -> list[Message]:
    got: list[Message] = []
    listener = asyncio.create_task(_collect(receiver, channel, 3, got))
    await asyncio.sleep(0.2)  # subscribed before anything is published
    for n in range(3):
        await sender.publish(channel, {"n": n, "text": "é✓"})
    await asyncio.wait_for(listener, 5)
    return got


async def test_local_bus_delivers_in_order_to_every_subscriber() -> None:
    bus = LocalBus()
    first: list[Message] = []
    second: list[Message] = []
    tasks = [asyncio.create_task(_collect(bus, "c", 2, first)),
             asyncio.create_task(_collect(bus, "c", 2, second))]
    await asyncio.sleep(0)
    await bus.publish("c", {"n": 1})
    await bus.publish("other", {"n": 99})
    await bus.publish("c", {"n": 2})
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert first == second == [{"n": 1}, {"n": 2}]


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    if not svc.redis_reachable():
        svc.unavailable("Redis at 127.0.0.1:6379")
    client = Redis.from_url(svc.REDIS_URL)
    yield client
    await client.aclose()


@pytest.mark.redis
async def test_redis_bus_carries_messages_between_processes(redis_client: Redis) -> None:
    web = RedisBus(Redis.from_url(svc.REDIS_URL))
    worker = RedisBus(Redis.from_url(svc.REDIS_URL))
    channel = f"rounds:test:{secrets.token_hex(4)}"
    got = await _roundtrip(web, worker, channel)
    assert got == [{"n": n, "text": "é✓"} for n in range(3)]
    # and it really went through Redis: a plain client sees the JSON on the channel
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    await web.publish(channel, {"n": 7})
    raw = None
    for _ in range(50):
        raw = await pubsub.get_message(timeout=0.1)
        if raw:
            break
    await pubsub.aclose()
    assert raw is not None and raw["data"] == b'{"n":7}'


@pytest.mark.redis
async def test_redis_bus_skips_undecodable_messages(redis_client: Redis) -> None:
    bus = RedisBus(Redis.from_url(svc.REDIS_URL))
    channel = f"rounds:test:{secrets.token_hex(4)}"
    got: list[Message] = []
    listener = asyncio.create_task(_collect(bus, channel, 1, got))
    await asyncio.sleep(0.2)
    await redis_client.publish(channel, b"\xff not json")
    await redis_client.publish(channel, b"[1, 2]")
    await bus.publish(channel, {"ok": True})
    await asyncio.wait_for(listener, 5)
    assert got == [{"ok": True}]


@pytest.mark.parametrize(
    "event",
    [
        events.ParticipantJoined("activity-1", "p-1", 7, "learner", AT),
        events.ParticipantLeft("activity-1", "p-1", 7, "learner", "dropped", AT),
        events.ActiveSpeakerChanged("activity-1", None, AT),
        events.MuteChanged("activity-1", "p-1", "audio", True, AT),
    ],
)
def test_media_events_survive_the_bus_encoding(event: events.MediaEvent) -> None:
    encoded = encode(event)
    assert encoded["type"] == type(event).__name__
    assert decode(encoded) == event


def test_decoding_refuses_unknown_or_incomplete_messages() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        decode({"type": "Explosion"})
    with pytest.raises(ValueError, match="without"):
        decode({"type": "ParticipantJoined", "room_id": "r"})
