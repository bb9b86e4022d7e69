"""Exception handlers: domain errors and HTTP errors become 4xx a person can act on."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from app.auth import LoginRequired
from courses import errors

log = structlog.get_logger(__name__)

STATUS = {
    errors.NotFound: 404,
    errors.PermissionDenied: 403,
    errors.InvalidInput: 422,
    errors.Conflict: 409,
    errors.EnrollmentClosed: 409,
    errors.InvalidCredentials: 401,
    errors.AccountDisabled: 403,
    errors.SignupDisabled: 403,
    errors.ResetTokenInvalid: 400,
    errors.SessionOver: 410,
    errors.SessionNotYetOpen: 409,
}

TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Too large",
    422: "Check the form",
    429: "Slow down",
    500: "Something went wrong",
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    ).split(",")[0]


def status_for(exc: errors.DomainError) -> int:
    explicit = getattr(exc, "http_status", None)
    if isinstance(explicit, int):
        return explicit
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def render_error(request: Request, status: int, message: str, code: str = "") -> Response:
    if wants_json(request):
        return JSONResponse(error_body(code or TITLES.get(status, "error"), message), status)
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(
        request,
        "errors/error.html",
        {"status": status, "title": TITLES.get(status, "Error"), "message": message},
        status_code=status,
    )
    return response


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.DomainError)
    status = status_for(exc)
    if status == 403:
        log.warning("access.denied", path=request.url.path, reason=exc.message)
    if wants_json(request):
        fields = exc.errors if isinstance(exc, errors.InvalidInput) else None
        return JSONResponse(error_body(exc.code, exc.message, fields), status)
    return render_error(request, status, exc.message, exc.code)


async def login_required(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse(
            error_body("login_required", "Sign in first: POST /api/session, or use the web page."),
            401,
        )
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        # A form's target only answers POST: after signing in, go back to the form's page.
        target = _same_site_referer(request)
    if not target:
        return RedirectResponse("/signin", status_code=303)
    return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)


def _same_site_referer(request: Request) -> str:
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/"):
        return ""
    return referer.path + (f"?{referer.query}" if referer.query else "")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and message == "Not Found":
        message = "There is no page at this address."
    if exc.status_code == 405:
        message = f"{request.method} is not accepted at this address."
    response = render_error(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("http.unhandled_error", path=request.url.path, error=repr(exc))
    return render_error(
        request, 500, "Rounds hit an unexpected error; it has been logged. Try again shortly."
    )


HANDLERS = {
    errors.DomainError: domain_error,
    LoginRequired: login_required,
    HTTPException: http_error,
    500: server_error,
}
