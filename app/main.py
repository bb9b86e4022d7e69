"""``create_app(settings)``: the middleware stack, the lifespan and ``app.state``, in one place."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.sessions import SessionMiddleware

from app import migrate
from app.attendance_events import AttendanceRecorder
from app.auth import SessionBackend
from app.compose_job import COMPOSE
from app.errors import HANDLERS
from app.join_tokens import JoinTokens
from app.live import MediaEventRouter, sfu_config
from app.logs import configure_logging
from app.middleware.body_limit import BodyLimitMiddleware
from app.middleware.csrf import CSRFMiddleware
from app.middleware.request_log import RequestLogMiddleware
from app.middleware.security_headers import SecurityHeadersMiddleware
from app.recording_control import RecordingControl
from app.reminders import start_reminders, stop_reminders
from app.routes import routes
from app.seed import announce_demo, seed_demo
from app.settings import Settings
from app.signaling.chat import ChatStore
from app.signaling.interaction_store import InteractionStore
from app.signaling.room_store import RoomStore
from app.signaling.rooms import LiveRooms
from app.templating import make_templates
from app.webhooks.dispatcher import start_dispatcher, stop_dispatcher
from app.wiring import Services, build_services
from media.sfu import Sfu
from media.sfu.sfu import utc_now

log = structlog.get_logger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    media_clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The application. ``media_clock`` stamps the SFU's facts (joins, leaves): the wall clock,
    which the recorder's packet times also follow, unless a test injects the time."""
    settings = settings or Settings()
    if services is None:
        configure_logging(settings.effective_log_format, settings.log_level)
        services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await asyncio.to_thread(migrate.upgrade, settings.effective_database_url)
        async with services.unit() as unit:
            empty = await unit.accounts.count() == 0
        if empty and settings.should_seed_demo:
            await seed_demo(services)
        async with services.unit() as unit:
            app.state.org_name = (await unit.accounts.organization()).name
        if settings.should_seed_demo:
            announce_demo(settings)
        router = MediaEventRouter(services.bus, attendance=AttendanceRecorder(services))
        sfu = Sfu(sfu_config(settings), router, clock=media_clock or utc_now)
        app.state.live_rooms = router.rooms = LiveRooms(sfu, services.clock)

        async def compose_later(recording_id: int) -> None:
            await services.jobs.enqueue(COMPOSE, recording_id=recording_id)

        recordings = RecordingControl(services, settings, sfu, compose_later)
        app.state.recording_control = router.recording = recordings
        app.state.live_rooms.recording = recordings
        app.state.live_rooms.chat_store = ChatStore(services)
        app.state.live_rooms.interaction_store = InteractionStore(services)
        app.state.live_rooms.store = RoomStore(services)
        # Media jobs: run here without Redis (resuming what a previous process left),
        # enqueue-only with it (``rounds worker`` runs them). Stopped by services.close().
        await services.jobs.start()
        # Webhooks are posted, and reminders mailed, from here without Redis, by
        # ``rounds worker`` with it.
        if not settings.redis_url:
            await start_dispatcher(services)
            await start_reminders(services)
        # recordings whose server died are composed; raw tracks past retention removed
        recordings.start_sweeping()
        log.info("rounds.started", database=services.db.engine.url.get_backend_name(),
                 redis=bool(settings.redis_url), environment=settings.environment.value)
        try:
            yield
        finally:
            await app.state.live_rooms.close_all()
            await sfu.close()
            await recordings.close()
            await stop_dispatcher(services)
            await stop_reminders(services)
            await services.close()
            log.info("rounds.stopped")

    middleware = [
        Middleware(RequestLogMiddleware),
        Middleware(SecurityHeadersMiddleware, hsts=settings.cookies_secure),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        Middleware(
            SessionMiddleware,
            secret_key=services.secret_key,
            session_cookie="rounds_session",
            max_age=settings.session_max_age,
            same_site="lax",
            https_only=settings.cookies_secure,
        ),
        Middleware(CSRFMiddleware),
        Middleware(AuthenticationMiddleware, backend=SessionBackend()),
    ]
    app = Starlette(
        debug=False,
        routes=routes(),
        middleware=middleware,
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = services
    app.state.templates = make_templates()
    app.state.join_tokens = JoinTokens(services.secret_key)
    app.state.org_name = "Rounds"
    return app
