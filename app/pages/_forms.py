"""Small helpers every page handler shares: reading forms, redirects, rendering."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.api.params import path_id
from app.middleware.csrf import FIELD as CSRF_FIELD
from courses.errors import ActivityNotFound, CourseNotFound, NotFound, UserNotFound
from courses.meetings import MeetingNotFound

MULTI_VALUE = frozenset({"faculty_ids", "invitee_ids"})


async def read_form(request: Request) -> dict[str, Any]:
    """The submitted fields, without the CSRF token; list-valued where the form repeats."""
    async with request.form() as form:
        data: dict[str, Any] = {}
        for key in form:
            if key == CSRF_FIELD:
                continue
            # No one types a NUL, and PostgreSQL cannot store one in text: drop it.
            values = [v.replace("\x00", "") for v in form.getlist(key) if isinstance(v, str)]
            data[key] = values if key in MULTI_VALUE else (values[-1] if values else "")
        return data


def query_text(request: Request, name: str, limit: int) -> str:
    """A query parameter as search text: at most ``limit`` characters and no NUL."""
    return request.query_params.get(name, "").replace("\x00", "")[:limit]


def safe_next(target: str | None, default: str = "/dashboard") -> str:
    """Only same-site paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, context or {}, status_code=status
    )
    return response


_MISSING: dict[str, tuple[type[NotFound], str]] = {
    "course_id": (CourseNotFound, "course"),
    "activity_id": (ActivityNotFound, "activity"),
    "user_id": (UserNotFound, "user"),
    "meeting_id": (MeetingNotFound, "meeting"),
}


def path_int(request: Request, name: str) -> int:
    """The ``{name:int}`` path parameter; a 404 when no row could have that id."""
    missing, what = _MISSING.get(name, (NotFound, "record"))
    return path_id(request, name, missing, what)
