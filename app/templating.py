"""Jinja2 set-up: the templates folder, what every page gets, and date filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from app.auth import current_user
from app.flash import pop_flashes
from app.middleware.csrf import csrf_token
from courses.models import Degree

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _page_context(request: Request) -> dict[str, Any]:
    session = request.scope.get("session")
    return {
        "current_user": current_user(request),
        "csrf_token": csrf_token(session) if isinstance(session, dict) else "",
        "flashes": pop_flashes(request),
        "org_name": getattr(request.app.state, "org_name", "Rounds"),
    }


def local_time(value: datetime | None, zone: str | None = None, fmt: str = "long") -> str:
    """A UTC datetime as wall-clock time in ``zone`` (the activity's), with the zone shown."""
    if value is None:
        return ""
    tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
    local = value.astimezone(tz)
    if fmt == "input":
        return local.strftime("%Y-%m-%dT%H:%M")
    if fmt == "time":
        return local.strftime("%H:%M %Z")
    if fmt == "date":
        return local.strftime("%a %d %b %Y")
    return local.strftime("%a %d %b %Y, %H:%M %Z")


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES, context_processors=[_page_context])
    templates.env.filters["local"] = local_time
    templates.env.filters["iso"] = iso
    templates.env.globals["degree_choices"] = [d.value for d in Degree]
    return templates
