"""Sign-in throttling, in memory and through the real Redis shared by several processes."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.throttle import LoginThrottle
from tests import services as svc


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    if not svc.redis_reachable():
        svc.unavailable("Redis at 127.0.0.1:6379")
    yield svc.REDIS_URL
    client = Redis.from_url(svc.REDIS_URL)
    async for key in client.scan_iter("rounds:throttle*"):
        await client.delete(key)
    await client.aclose()


async def test_account_locks_after_failures_and_unlocks_on_success() -> None:
    throttle = LoginThrottle(per_account=3, per_address=100, window_seconds=60)
    for _ in range(3):
        assert (await throttle.check("a@x.org", "10.0.0.1")).allowed
        await throttle.failed("a@x.org")
    verdict = await throttle.check("a@x.org", "10.0.0.2")
    assert not verdict.allowed
    assert "this account" in verdict.reason and 0 < verdict.retry_after <= 60
    assert (await throttle.check("b@x.org", "10.0.0.1")).allowed  # other accounts unaffected
    await throttle.succeeded("a@x.org")
    assert (await throttle.check("a@x.org", "10.0.0.1")).allowed


async def test_address_limit_counts_attempts_across_accounts() -> None:
    throttle = LoginThrottle(per_account=100, per_address=4, window_seconds=60)
    for n in range(4):
        assert (await throttle.check(f"user{n}@x.org", "10.0.0.9")).allowed
        await throttle.attempted("10.0.0.9")
    verdict = await throttle.check("new@x.org", "10.0.0.9")
    assert not verdict.allowed and "your network" in verdict.reason
    assert (await throttle.check("new@x.org", "10.0.0.10")).allowed


@pytest.mark.redis
async def test_redis_throttle_is_shared_between_processes(redis_url: str) -> None:
    account = f"{secrets.token_hex(4)}@x.org"
    web1 = LoginThrottle(redis_url=redis_url, per_account=2, per_address=100, window_seconds=60)
    web2 = LoginThrottle(redis_url=redis_url, per_account=2, per_address=100, window_seconds=60)
    await web1.failed(account)
    await web2.failed(account)
    assert not (await web1.check(account, "10.1.0.1")).allowed
    assert not (await web2.check(account, "10.1.0.2")).allowed
    client = Redis.from_url(redis_url)
    keys = [k async for k in client.scan_iter(f"rounds:throttle*{account}*")]
    await client.aclose()
    assert keys, "the Redis storage was not used"
    await web2.succeeded(account)
    assert (await web1.check(account, "10.1.0.1")).allowed
