"""One structured log line per request, with a request id bound for everything logged inside."""

from __future__ import annotations

import re
import secrets
import time

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("rounds.http")

# Paths that carry a secret: a password reset link, a meeting guest's join link.
SECRET_IN_PATH = re.compile(r"^(/password/reset/|/meetings/\d+/join/)[^/]+")


def loggable_path(path: str) -> str:
    """The path with any secret it carries replaced, so logs never hold a working link."""
    return SECRET_IN_PATH.sub(r"\1[hidden]", path)


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        started = time.perf_counter()
        status = 0
        client = scope.get("client")
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).setdefault("X-Request-Id", request_id)
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            visitor = scope.get("user")
            account = getattr(visitor, "account", None)
            if scope["type"] == "http" and not scope["path"].startswith("/static/"):
                log.info(
                    "http.request",
                    method=scope["method"],
                    path=loggable_path(scope["path"]),
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                    user_id=getattr(account, "id", None),
                    client=client[0] if client else None,
                )
            structlog.contextvars.unbind_contextvars("request_id")
