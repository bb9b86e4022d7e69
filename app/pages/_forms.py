"""Small helpers every page handler shares: reading forms, redirects, rendering."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.middleware.csrf import FIELD as CSRF_FIELD

MULTI_VALUE = frozenset({"faculty_ids"})


async def read_form(request: Request) -> dict[str, Any]:
    """The submitted fields, without the CSRF token; list-valued where the form repeats."""
    async with request.form() as form:
        data: dict[str, Any] = {}
        for key in form:
            if key == CSRF_FIELD:
                continue
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            data[key] = values if key in MULTI_VALUE else (values[-1] if values else "")
        return data


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


def path_int(request: Request, name: str) -> int:
    value: int = request.path_params[name]
    return value
