"""Builds the services from settings: which database, which bus, which throttle store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property

from redis.asyncio import Redis
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import Database
from app.jobs.queue import JobQueue
from app.mail import Mailer
from app.mail_records import MailLog
from app.routing.base import Bus
from app.routing.local import LocalBus
from app.routing.redis import RedisBus
from app.settings import Settings
from app.throttle import LoginThrottle
from courses.accounts import AccountService
from courses.catalog import CatalogService
from courses.clock import Clock, SystemClock
from courses.enrollment import EnrollmentService
from courses.live_sessions import LiveSessionService
from courses.passwords import Passwords
from courses.recordings import RecordingService
from courses.watching import WatchService


@dataclass
class Unit:
    """One unit of work: the domain services over one database transaction."""

    session: AsyncSession
    passwords: Passwords
    clock: Clock

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(self.session, self.passwords, self.clock)

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(self.session, self.clock)

    @cached_property
    def enrollment(self) -> EnrollmentService:
        return EnrollmentService(self.session, self.clock)

    @cached_property
    def live(self) -> LiveSessionService:
        return LiveSessionService(self.session, self.clock)

    @cached_property
    def recordings(self) -> RecordingService:
        return RecordingService(self.session, self.clock)

    @cached_property
    def watching(self) -> WatchService:
        return WatchService(self.session, self.clock)


@dataclass
class Services:
    settings: Settings
    db: Database
    passwords: Passwords
    clock: Clock
    throttle: LoginThrottle
    mailer: Mailer
    secret_key: str
    bus: Bus
    redis: Redis | None = None
    extras: dict[str, object] = field(default_factory=dict)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        async with self.db.session() as session:
            yield Unit(session, self.passwords, self.clock)

    @cached_property
    def jobs(self) -> JobQueue:
        """The media job queue (built on first use; the app's lifespan starts it). Tests may
        assign their own."""
        from app.jobs import build_job_queue
        from app.jobs.kinds import job_handlers

        return build_job_queue(self.settings, self, job_handlers())

    async def close(self) -> None:
        if "jobs" in self.__dict__:
            await self.jobs.close()
        await self.bus.close()
        await self.db.dispose()
        if self.redis is not None:
            await self.redis.aclose()


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    db = Database(settings.effective_database_url)
    clock = clock or SystemClock()
    return Services(
        settings=settings,
        db=db,
        passwords=Passwords(),
        clock=clock,
        throttle=LoginThrottle(
            redis_url=settings.redis_url,
            per_account=settings.login_failures_per_account,
            per_address=settings.login_attempts_per_address,
            window_seconds=settings.login_window_seconds,
        ),
        mailer=Mailer(settings.smtp_url, settings.mail_from, recorder=MailLog(db, clock)),
        secret_key=settings.resolve_secret_key(),
        bus=RedisBus(redis) if redis is not None else LocalBus(),
        redis=redis,
    )
