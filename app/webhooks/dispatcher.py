"""The webhook dispatcher: posts due deliveries, a few at a time, and schedules their retries.

Why not the media job queue (``app.jobs``): it runs ``MEDIA_JOB_CONCURRENCY`` jobs at once
(one by default), so a webhook would wait behind an hours-long compose; its retry policy is
one setting for every kind (3 tries, 10 s doubling) where a webhook needs six tries over
hours; it has no delayed enqueue; and each run is a ``media_jobs`` row that /admin/jobs shows
as a media job. Instead the ``webhook_deliveries`` rows are the queue, in the same way as the
in-process media runner: each attempt is claimed with a compare-and-set (so any number of
processes may dispatch without sending an attempt twice), held under a lease (a process that
dies mid-post leaves the row to be taken up when the lease ends), and written back with its
outcome and next attempt time. The rows are also the delivery log administrators read.

Where it runs: in the web process without ``REDIS_URL``, in each ``rounds worker`` with it,
like the media jobs. ``publish()`` only writes rows and nudges the dispatchers over the bus
(in-process, or Redis pub/sub); a dispatcher also looks at the rows every ``POLL_SECONDS``, so
a lost nudge or a retry that came due is never missed for long.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import structlog

from app import background
from app.webhooks.delivery import TIMEOUT_SECONDS, deliver
from app.webhooks.events import WAKE_CHANNEL
from app.webhooks.store import WebhookStore
from courses.models.webhooks import WebhookDelivery

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)

EXTRAS_KEY = "webhooks"
POLL_SECONDS = 5.0
CONCURRENCY = 8
# A claimed attempt is someone else's to take up this long after its claim.
LEASE_MARGIN = timedelta(seconds=60)


class WebhookDispatcher:
    def __init__(
        self,
        services: Services,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = TIMEOUT_SECONDS,
        concurrency: int = CONCURRENCY,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.services = services
        self.store = WebhookStore(services.db, services.clock)
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.poll_seconds = poll_seconds
        self._client = client
        self._own_client = client is None
        self._changed = asyncio.Event()
        self._sending: set[asyncio.Task[WebhookDelivery | None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout) + LEASE_MARGIN

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    def wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def run_due(self) -> list[WebhookDelivery]:
        """One pass, for tests and tools: claim what is due now (up to ``concurrency``), post
        it, and return the rows after their attempts."""
        claimed = await self.store.claim_due(self.concurrency, self.lease)
        done = await asyncio.gather(*(self._send(row) for row in claimed))
        return [row for row in done if row is not None]

    async def _send(self, row: WebhookDelivery) -> WebhookDelivery | None:
        try:
            return await deliver(self.store, self.client, row, limit_seconds=self.timeout)
        except Exception:
            # The database failed mid-record: the lease brings the row back later.
            log.exception("webhook.attempt_not_recorded", delivery_id=row.id)
            return None

    # -- running -----------------------------------------------------------------------------
    async def start(self) -> None:
        if self._loop_task is not None:
            return
        self._closing = False
        self._listener = asyncio.create_task(self._listen(), name="webhooks-wake")
        self._loop_task = asyncio.create_task(self._run(), name="webhooks-dispatch")
        log.info("webhooks.started", concurrency=self.concurrency)

    async def _listen(self) -> None:
        while not self._closing:
            try:
                async for _ in self.services.bus.subscribe(WAKE_CHANNEL):
                    self.wake()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("webhooks.wake_listener_failed", error=repr(exc))
            if not self._closing:
                await asyncio.sleep(self.poll_seconds)

    async def _run(self) -> None:
        while not self._closing:
            changed = self._changed  # taken first: a wake during the queries is not missed
            wait = self.poll_seconds
            try:
                free = self.concurrency - len(self._sending)
                if free > 0:
                    for row in await self.store.claim_due(free, self.lease):
                        task = asyncio.create_task(self._send(row), name=f"webhook-{row.id}")
                        self._sending.add(task)
                        task.add_done_callback(self._sent)
                    due = await self.store.next_due()
                    if due is not None:
                        seconds = (due - self.services.clock.now()).total_seconds()
                        wait = min(wait, max(0.05, seconds))
            except Exception as exc:
                log.error("webhooks.dispatch_error", error=repr(exc))
                wait = self.poll_seconds
            if self._closing:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)
        if self._sending:
            # Let attempts in flight finish (each is bounded by the timeout).
            await asyncio.wait(set(self._sending), timeout=self.timeout + 5)

    def _sent(self, task: asyncio.Task[WebhookDelivery | None]) -> None:
        self._sending.discard(task)
        self.wake()

    async def close(self) -> None:
        """Stop taking deliveries, let the ones being posted finish, close the client."""
        self._closing = True
        self.wake()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None
        log.info("webhooks.stopped")


async def start_dispatcher(services: Services) -> WebhookDispatcher:
    """Start this process's dispatcher (kept on ``services.extras``); the same one if it runs."""
    return await background.start_once(services, EXTRAS_KEY, WebhookDispatcher)


async def stop_dispatcher(services: Services) -> None:
    await background.stop(services, EXTRAS_KEY, WebhookDispatcher)
