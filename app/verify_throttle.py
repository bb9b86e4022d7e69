"""Rate limit of the public certificate verification page, per client address.

Codes are long enough that guessing one is hopeless; the limit keeps anyone from trying at
scale all the same. Moving windows from the ``limits`` library, as the sign-in throttle
(``app.throttle``): in memory on one process, in Redis when ``REDIS_URL`` is set so every web
process counts the same lookups. Built on first use and kept on ``Services.extras``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from app.wiring import Services

LOOKUPS_PER_MINUTE = 30
EXTRAS_KEY = "verify_throttle"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds


class VerifyThrottle:
    def __init__(self, *, redis_url: str = "", per_minute: int = LOOKUPS_PER_MINUTE) -> None:
        self.storage: Storage = (
            RedisStorage(f"async+{redis_url}", key_prefix="rounds:verify")
            if redis_url
            else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.limit = RateLimitItemPerMinute(per_minute)

    async def lookup(self, address: str) -> Verdict:
        """Count one lookup from ``address``; whether it may go ahead."""
        if await self.limiter.hit(self.limit, "verify", address):
            return Verdict(True)
        stats = await self.limiter.get_window_stats(self.limit, "verify", address)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))


def verify_throttle(services: Services) -> VerifyThrottle:
    found = services.extras.get(EXTRAS_KEY)
    if isinstance(found, VerifyThrottle):
        return found
    built = VerifyThrottle(redis_url=services.settings.redis_url)
    services.extras[EXTRAS_KEY] = built
    return built
