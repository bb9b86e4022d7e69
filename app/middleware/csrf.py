"""CSRF protection for everything that changes state under a session cookie.

A synchronizer token lives in the signed session. Unsafe requests must carry it, either in the
``X-CSRF-Token`` header (the API and scripts) or in a ``csrf_token`` form field (HTML forms).
The body is read once here and replayed to the application unchanged.
"""

from __future__ import annotations

import hmac
import json
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


def csrf_token(scope_or_session: dict[str, object]) -> str:
    """The session's token, made on first use."""
    token = scope_or_session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        scope_or_session[SESSION_KEY] = token
    return token


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or scope["path"].startswith(self.exempt_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        session = scope.get("session")
        expected = session.get(SESSION_KEY) if isinstance(session, dict) else None
        headers = dict(scope["headers"])
        presented = headers.get(HEADER.encode(), b"").decode("latin-1")
        chunks: list[bytes] = []
        if not presented:
            # Read the body (size-limited further out) and look for the form field.
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            presented = await _form_token(scope, b"".join(chunks))
        if not expected or not presented or not hmac.compare_digest(expected, presented):
            await _refuse(scope, send)
            return
        if chunks:
            body = b"".join(chunks)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
        else:
            await self.app(scope, receive, send)


async def _form_token(scope: Scope, body: bytes) -> str:
    content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return ""
    sent = False

    async def once() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form: FormData = await Request(scope, once).form()
    except Exception:  # a malformed body has no token; the refusal says what to do
        return ""
    try:
        value = form.get(FIELD)
        return value if isinstance(value, str) else ""
    finally:
        await form.close()


async def _refuse(scope: Scope, send: Send) -> None:
    message = (
        "This request is missing its security token (CSRF). Reload the page and try again; "
        "API clients send the token from GET /api/session in the X-CSRF-Token header."
    )
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": {"code": "csrf_failed", "message": message}}).encode()
        kind = b"application/json"
    else:
        body = (
            # No inline style: the Content-Security-Policy (style-src 'self') would block it.
            "<!doctype html><html lang=en><meta charset=utf-8><title>Form expired</title>"
            "<link rel=stylesheet href='/static/css/rounds.css'><main class=narrow>"
            f"<h1>Form expired</h1><p>{message}</p><p><a href='/'>Back to Rounds</a></p></main>"
        ).encode()
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
