"""Where a room's polls and Q&A are kept, and the order their changes reach people in.

Each change runs in a unit of work of its own (``records``) and is committed before anyone is
told. Changes in one room, and the snapshot someone gets on entering it, take the room's lock
(``lock``): everyone sees the changes in one order, and a snapshot is never older than a change
already delivered. Live poll results are sent at most every ``results_interval`` seconds a poll
(``soon``): a burst of votes costs one count, not one per vote."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from courses.audience_questions import AudienceQuestionService
from courses.polls import PollService

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)

RESULTS_INTERVAL = 0.25


@dataclass(frozen=True)
class Records:
    """The poll and Q&A services over one unit of work."""

    polls: PollService
    questions: AudienceQuestionService


class InteractionStore:
    def __init__(self, services: Services, *, results_interval: float = RESULTS_INTERVAL) -> None:
        self.services = services
        self.results_interval = results_interval
        # A room's lock lives while someone holds or awaits it; the next change makes another.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._soon: dict[Hashable, asyncio.Task[None]] = {}

    def lock(self, room_id: str) -> asyncio.Lock:
        lock = self._locks.get(room_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[room_id] = lock
        return lock

    @asynccontextmanager
    async def records(self) -> AsyncIterator[Records]:
        """Poll and Q&A services whose changes are committed when the block ends."""
        async with self.services.unit() as unit:
            yield Records(
                PollService(unit.session, unit.clock),
                AudienceQuestionService(unit.session, unit.clock),
            )

    def soon(self, key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` in ``results_interval`` seconds, unless a job with ``key`` is already
        waiting to run (that one will see what this one would have)."""
        if key in self._soon:
            return
        self._soon[key] = asyncio.create_task(self._later(key, job), name="room-results")

    async def _later(self, key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
        try:
            await asyncio.sleep(self.results_interval)
        finally:
            self._soon.pop(key, None)
        try:
            await job()
        except Exception:
            log.exception("room.results_not_sent", key=str(key))
