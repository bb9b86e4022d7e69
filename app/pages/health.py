"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.auth import services_of

log = structlog.get_logger(__name__)


async def healthz(request: Request) -> Response:
    """The process is up and answering."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The database, and Redis where configured, answer within two seconds."""
    services = services_of(request)
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(services.db.ping(), 2)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {exc.__class__.__name__}"
    if services.redis is not None:
        try:
            await asyncio.wait_for(services.redis.ping(), 2)
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unreachable: {exc.__class__.__name__}"
    ready = all(v == "ok" for v in checks.values())
    if not ready:
        log.warning("health.not_ready", **checks)
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503)
