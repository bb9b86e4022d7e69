"""Sign-in throttling per account and per client address.

Moving windows from the ``limits`` library, kept in memory on one process or in Redis when
``REDIS_URL`` is set, so that every web process counts the same failures.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds
    reason: str = ""


class LoginThrottle:
    def __init__(
        self,
        *,
        redis_url: str = "",
        per_account: int = 5,
        per_address: int = 30,
        window_seconds: int = 900,
    ) -> None:
        self.storage: Storage = (
            RedisStorage(f"async+{redis_url}", key_prefix="rounds:throttle")
            if redis_url
            else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.account_limit = RateLimitItemPerSecond(per_account, window_seconds)
        self.address_limit = RateLimitItemPerSecond(per_address, window_seconds)

    async def _wait(self, item: RateLimitItemPerSecond, *keys: str) -> int:
        stats = await self.limiter.get_window_stats(item, "login", *keys)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def check(self, account: str, address: str) -> Verdict:
        """Whether another sign-in attempt may be tried now."""
        if not await self.limiter.test(self.address_limit, "login", "addr", address):
            return Verdict(
                False,
                await self._wait(self.address_limit, "addr", address),
                "Too many sign-in attempts from your network.",
            )
        if account and not await self.limiter.test(self.account_limit, "login", "acct", account):
            return Verdict(
                False,
                await self._wait(self.account_limit, "acct", account),
                "Too many failed sign-ins for this account.",
            )
        return Verdict(True)

    async def attempted(self, address: str) -> None:
        await self.limiter.hit(self.address_limit, "login", "addr", address)

    async def failed(self, account: str) -> None:
        if account:
            await self.limiter.hit(self.account_limit, "login", "acct", account)

    async def succeeded(self, account: str) -> None:
        if account:
            await self.limiter.clear(self.account_limit, "login", "acct", account)
