"""The bus over Redis pub/sub, so several web, SFU and worker processes share events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import structlog
from redis.asyncio import Redis

from app.routing.base import Message

log = structlog.get_logger(__name__)


class RedisBus:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._closed = False

    async def publish(self, channel: str, message: Message) -> None:
        await self._redis.publish(channel, json.dumps(message, separators=(",", ":")))

    async def subscribe(self, channel: str) -> AsyncIterator[Message]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)
        try:
            while not self._closed:
                raw = await pubsub.get_message(timeout=1.0)
                if raw is None:
                    continue
                try:
                    message = json.loads(raw["data"])
                except (ValueError, TypeError):
                    log.warning("bus.undecodable_message", channel=channel)
                    continue
                if isinstance(message, dict):
                    yield message
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # untyped before redis 8

    async def close(self) -> None:
        self._closed = True
