"""Signing in and out over the API; the CSRF token an API client sends back."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.json import read_json
from app.api.serializers import user_json
from app.auth import current_user, services_of, sign_in, sign_out
from app.errors import error_body
from app.middleware.csrf import csrf_token

log = structlog.get_logger(__name__)


async def get_session(request: Request) -> Response:
    """
    summary: The current session and its CSRF token
    description: >-
      Starts a session (the rounds_session cookie) when there is none. POST, PUT, PATCH and
      DELETE requests must send this token in X-CSRF-Token.
    security: [{}, {sessionCookie: []}]
    responses:
      200:
        description: The signed-in user (or null) and the CSRF token.
    """
    user = current_user(request)
    return JSONResponse(
        {"user": user_json(user, private=True) if user else None,
         "csrf_token": csrf_token(request.session)}
    )


async def create_session(request: Request) -> Response:
    """
    summary: Sign in with email and password
    description: Sets the session cookie. Throttled per account and per client address.
    requestBody:
      content:
        application/json:
          schema: {$ref: '#/components/schemas/SignIn'}
    responses:
      200: {description: Signed in; the body carries the user and a fresh CSRF token.}
      400: {description: The body is not a JSON object.}
      401: {description: Email and password do not match.}
      403: {description: "The account is disabled, or the CSRF token is missing."}
      422: {description: Email or password is missing.}
      429: {description: Too many attempts; Retry-After says when to try again.}
    """
    body = await read_json(request, required=("email", "password"))
    email = str(body["email"]).strip().lower()
    services = services_of(request)
    address = request.client.host if request.client else "unknown"
    verdict = await services.throttle.check(email, address)
    if not verdict.allowed:
        log.warning("auth.throttled", email=email, client=address, reason=verdict.reason)
        return JSONResponse(
            error_body("throttled", f"{verdict.reason} Try again in {verdict.retry_after} s."),
            status_code=429,
            headers={"Retry-After": str(verdict.retry_after)},
        )
    await services.throttle.attempted(address)
    try:
        async with services.unit() as unit:
            user = await unit.accounts.authenticate(email, str(body["password"]))
    except Exception:
        await services.throttle.failed(email)
        raise
    await services.throttle.succeeded(email)
    sign_in(request, user)
    log.info("auth.signed_in", user_id=user.id, client=address, via="api")
    return JSONResponse(
        {"user": user_json(user, private=True), "csrf_token": csrf_token(request.session)}
    )


async def delete_session(request: Request) -> Response:
    """
    summary: Sign out
    responses:
      204: {description: Signed out.}
      403: {description: The CSRF token is missing.}
    """
    sign_out(request)
    return Response(status_code=204)
