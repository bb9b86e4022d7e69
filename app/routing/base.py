"""The bus contract. media/ emits typed events; app/ publishes them as JSON-ready dicts here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

Message = dict[str, Any]


class Bus(Protocol):
    """Publish/subscribe of JSON-ready messages on named channels.

    Delivery is at-most-once and in order per publisher, as with Redis pub/sub; listeners that
    must not miss anything (attendance) keep their own record from what they receive.
    """

    async def publish(self, channel: str, message: Message) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[Message]:
        """Messages published on ``channel`` from now on, until the iterator is closed."""
        ...

    async def close(self) -> None: ...
