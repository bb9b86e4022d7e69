"""Webhook delivery against a real HTTP receiver on 127.0.0.1: publishing writes rows and
returns at once; the dispatcher posts them signed, retries a 500 or a timeout with backoff,
gives up after six attempts, and never lets one dead endpoint hold up the others."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest

from app.settings import Settings
from app.webhooks.delivery import BACKOFF, MAX_ATTEMPTS
from app.webhooks.dispatcher import WebhookDispatcher, start_dispatcher, stop_dispatcher
from app.webhooks.events import (
    CREDIT_CLAIMED,
    PARTICIPANT_JOINED,
    RECORDING_READY,
    publish,
    publish_quietly,
)
from app.webhooks.signing import InvalidSignature, new_secret, verify
from app.webhooks.store import WebhookStore
from app.wiring import Services, build_services
from courses.models.webhooks import DeliveryState, WebhookEndpoint
from tests import services as svc
from tests.app.webhook_receiver import HANG, Received, receiver
from tests.conftest import MovableClock

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def endpoint(services: Services, url: str, *events: str) -> WebhookEndpoint:
    store = WebhookStore(services.db, services.clock)
    return await store.create_endpoint(
        url=url,
        description="test",
        event_types=" ".join(events or [PARTICIPANT_JOINED]),
        created_by=None,
    )


def check_signed(request: Received, secret: str, clock: MovableClock) -> None:
    verify(secret, request.headers, request.body, now=clock.now().timestamp())


async def test_a_500_then_a_timeout_are_retried_with_backoff_until_a_200(
    services: Services, clock: MovableClock
) -> None:
    async with receiver(500, HANG, 200) as hooks:
        target = await endpoint(services, hooks.url)
        started = time.monotonic()
        [row] = await publish(services, PARTICIPANT_JOINED, {"user_id": 7, "room_id": "r"})
        assert time.monotonic() - started < 1.0
        assert row.state == DeliveryState.PENDING and row.attempts == 0
        assert hooks.requests == []  # publishing posts nothing itself
        dispatcher = WebhookDispatcher(services, timeout=0.5)
        try:
            [first] = await dispatcher.run_due()
            assert (first.state, first.attempts, first.last_status) == ("pending", 1, 500)
            assert first.last_error == "HTTP 500 Internal Server Error: receiver trouble"
            assert (
                first.next_attempt_at
                == clock.now() + BACKOFF[0]
                == clock.now() + timedelta(seconds=30)
            )
            assert await dispatcher.run_due() == []  # not due yet
            clock.at += timedelta(seconds=30)
            [second] = await dispatcher.run_due()
            assert (second.state, second.attempts, second.last_status) == ("pending", 2, None)
            assert "no answer within 0.5 s" in second.last_error
            assert second.next_attempt_at == clock.now() + timedelta(minutes=2)
            clock.at += timedelta(minutes=2)
            [third] = await dispatcher.run_due()
        finally:
            await dispatcher.close()
        assert (third.state, third.attempts, third.last_status) == ("succeeded", 3, 200)
        assert third.last_error == "" and third.delivered_at == clock.now()
        assert third.next_attempt_at is None
    assert len(hooks.requests) == 3
    assert {r.headers["webhook-id"] for r in hooks.requests} == {row.event_id}
    for request in hooks.requests:
        assert request.method == "POST" and request.path == "/hooks/rounds"
        assert request.headers["content-type"] == "application/json"
    last = hooks.requests[-1]
    check_signed(last, target.secret, clock)
    with pytest.raises(InvalidSignature):
        verify(new_secret(), last.headers, last.body, now=clock.now().timestamp())
    sent = json.loads(last.body)
    assert sent == {
        "type": PARTICIPANT_JOINED,
        "timestamp": "2026-12-01T12:00:00Z",
        "data": {"user_id": 7, "room_id": "r"},
    }


async def test_six_failed_attempts_end_failed_and_retry_now_starts_again(
    services: Services, clock: MovableClock
) -> None:
    async with receiver(503) as hooks:
        await endpoint(services, hooks.url, RECORDING_READY)
        [row] = await publish(services, RECORDING_READY, {"recording_id": 4})
        dispatcher = WebhookDispatcher(services, timeout=2)
        store = dispatcher.store
        try:
            waits = []
            for attempt in range(1, MAX_ATTEMPTS + 1):
                [done] = await dispatcher.run_due()
                assert done.attempts == attempt and done.last_status == 503
                if done.next_attempt_at is not None:
                    waits.append(done.next_attempt_at - clock.now())
                    clock.at = done.next_attempt_at
            assert done.state == DeliveryState.FAILED
            assert waits == list(BACKOFF)
            assert len(hooks.requests) == MAX_ATTEMPTS
            clock.at += timedelta(days=1)
            assert await dispatcher.run_due() == []  # failed stays failed
            again = await store.retry_now(row.id or 0)
            assert (again.state, again.attempts) == ("pending", 0)
            [retried] = await dispatcher.run_due()
            assert (retried.state, retried.attempts) == ("pending", 1)
        finally:
            await dispatcher.close()
    assert len(hooks.requests) == MAX_ATTEMPTS + 1


async def test_a_dead_endpoint_never_blocks_publish_nor_the_other_endpoints(
    services: Services, clock: MovableClock
) -> None:
    async with receiver(HANG) as dead, receiver(200) as alive:
        await endpoint(services, dead.url)
        healthy = await endpoint(services, alive.url)
        # Long poll: only publish's nudge over the bus can make it look in time.
        dispatcher = WebhookDispatcher(services, timeout=3, poll_seconds=60)
        await dispatcher.start()
        try:
            await asyncio.sleep(0.1)  # the wake listener subscribes
            started = time.monotonic()
            rows = await publish(services, PARTICIPANT_JOINED, {"user_id": 1})
            await publish_quietly(services, PARTICIPANT_JOINED, {"user_id": 2})
            assert time.monotonic() - started < 1.0
            assert len(rows) == 2
            async with asyncio.timeout(2):  # well inside the dead one's 3 s timeout
                while True:
                    states = [r.state for r in await dispatcher.store.deliveries(healthy.id or 0)]
                    if states == [DeliveryState.SUCCEEDED] * 2:
                        break
                    await asyncio.sleep(0.05)
            assert len(alive.requests) == 2
            assert len(dead.requests) == 2  # both being waited on, neither answered
        finally:
            await dispatcher.close()
    for request in alive.requests:
        check_signed(request, healthy.secret, clock)


async def test_two_dispatchers_never_send_the_same_attempt(services: Services) -> None:
    async with receiver(200) as hooks:
        await endpoint(services, hooks.url)
        for n in range(5):
            await publish(services, PARTICIPANT_JOINED, {"n": n})
        one, two = WebhookDispatcher(services), WebhookDispatcher(services)
        try:
            done = await asyncio.gather(one.run_due(), two.run_due())
        finally:
            await one.close()
            await two.close()
    assert sum(len(d) for d in done) == 5
    assert sorted(json.loads(r.body)["data"]["n"] for r in hooks.requests) == [0, 1, 2, 3, 4]


async def test_an_attempt_whose_process_died_is_taken_up_after_its_lease(
    services: Services, clock: MovableClock
) -> None:
    async with receiver(200) as hooks:
        await endpoint(services, hooks.url)
        [row] = await publish(services, PARTICIPANT_JOINED, {})
        dispatcher = WebhookDispatcher(services, timeout=1)
        try:
            [claimed] = await dispatcher.store.claim_due(5, dispatcher.lease)  # then "dies"
            assert claimed.state == DeliveryState.SENDING
            assert await dispatcher.run_due() == []
            clock.at += dispatcher.lease
            [done] = await dispatcher.run_due()
        finally:
            await dispatcher.close()
    assert (done.id, done.state, done.attempts) == (row.id, "succeeded", 2)
    assert len(hooks.requests) == 1


async def test_only_active_subscribed_endpoints_get_the_event(services: Services) -> None:
    store = WebhookStore(services.db, services.clock)
    wanted = await endpoint(services, "http://127.0.0.1:9/a", CREDIT_CLAIMED)
    await endpoint(services, "http://127.0.0.1:9/b", RECORDING_READY)
    disabled = await endpoint(services, "http://127.0.0.1:9/c", CREDIT_CLAIMED)
    await store.update_endpoint(disabled.id or 0, active=False)
    rows = await publish(services, CREDIT_CLAIMED, {"activity_id": 3})
    assert [r.endpoint_id for r in rows] == [wanted.id]
    assert await publish(services, PARTICIPANT_JOINED, {}) == []
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        await publish(services, "credit.stolen", {})


async def test_a_refused_connection_is_recorded_and_retried(
    services: Services, clock: MovableClock
) -> None:
    async with receiver(200) as hooks:
        url = hooks.url  # nothing listens there once the block ends
    await endpoint(services, url)
    await publish(services, PARTICIPANT_JOINED, {})
    dispatcher = WebhookDispatcher(services, timeout=2)
    try:
        [done] = await dispatcher.run_due()
    finally:
        await dispatcher.close()
    assert (done.state, done.last_status) == ("pending", None)
    assert done.last_error.startswith("ConnectError")
    assert done.next_attempt_at == clock.now() + BACKOFF[0]


async def test_with_redis_a_worker_dispatcher_is_woken_by_the_web_process(
    settings: Settings, clock: MovableClock
) -> None:
    """REDIS_URL: the web process publishes, a ``rounds worker`` (its own services, its own
    Redis connections) delivers at once, nudged over Redis pub/sub rather than its poll."""
    if not svc.redis_reachable():
        svc.unavailable("Redis at 127.0.0.1:6379")
    with_redis = settings.model_copy(update={"redis_url": svc.REDIS_URL})
    web, worker = build_services(with_redis, clock=clock), build_services(with_redis, clock=clock)
    dispatcher = WebhookDispatcher(worker, timeout=2, poll_seconds=60)
    try:
        async with receiver(200) as hooks:
            target = await endpoint(web, hooks.url)
            await dispatcher.start()
            await asyncio.sleep(0.3)  # the worker subscribes
            started = time.monotonic()
            [row] = await publish(web, PARTICIPANT_JOINED, {"user_id": 3})
            async with asyncio.timeout(5):
                await hooks.arrived.wait()
            assert time.monotonic() - started < 5
    finally:
        await dispatcher.close()
        await web.close()
        await worker.close()
    [request] = hooks.requests
    assert request.headers["webhook-id"] == row.event_id
    check_signed(request, target.secret, clock)


async def test_start_dispatcher_runs_one_per_process_until_stopped(services: Services) -> None:
    async with receiver(200) as hooks:
        await endpoint(services, hooks.url)
        first = await start_dispatcher(services)
        assert await start_dispatcher(services) is first
        try:
            await asyncio.sleep(0.1)
            await publish(services, PARTICIPANT_JOINED, {})
            async with asyncio.timeout(5):
                await hooks.arrived.wait()
        finally:
            await stop_dispatcher(services)
        assert "webhooks" not in services.extras
        await stop_dispatcher(services)  # stopping twice is harmless
    assert len(hooks.requests) == 1
