"""The signed-in user's own profile and password."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.auth import refresh_fingerprint, require_user, services_of
from app.flash import flash
from app.pages._forms import read_form, redirect, render
from courses.errors import InvalidInput
from courses.models import User
from courses.profile import REMINDERS_FIELD, REMINDERS_LABEL, reminders_choice

log = structlog.get_logger(__name__)

PROFILE_FIELDS = (
    "display_name", "degree", "license_state", "license_number", "npi", "nabp_eprofile_id",
    "birth_month", "birth_day",
)


def _values(user: User) -> dict[str, object]:
    values: dict[str, object] = {
        f: getattr(user, f) if getattr(user, f) is not None else "" for f in PROFILE_FIELDS
    }
    values[REMINDERS_FIELD] = user.reminders_enabled
    return values


def _page(request: Request, context: dict[str, object], status: int = 200) -> Response:
    return render(request, "profile/edit.html", {"reminders_label": REMINDERS_LABEL, **context},
                  status=status)


async def profile_page(request: Request) -> Response:
    user = require_user(request)
    return _page(request, {"values": _values(user)})


async def update_profile(request: Request) -> Response:
    user = require_user(request)
    form = await read_form(request)
    data = {f: form.get(f, "") for f in PROFILE_FIELDS}
    reminders = reminders_choice(form)
    try:
        async with services_of(request).unit() as unit:
            await unit.accounts.update_profile(user.id or 0, data)
            await unit.accounts.set_reminders(user.id or 0, reminders)
    except InvalidInput as exc:
        return _page(request, {"values": {**data, REMINDERS_FIELD: reminders},
                               "errors": exc.errors}, status=422)
    log.info("profile.updated", user_id=user.id, reminders=reminders)
    flash(request, "Profile saved.", "success")
    return redirect("/profile")


async def change_password(request: Request) -> Response:
    user = require_user(request)
    form = await read_form(request)
    values = _values(user)
    try:
        async with services_of(request).unit() as unit:
            updated = await unit.accounts.change_password(
                user.id or 0, str(form.get("current_password", "")),
                str(form.get("new_password", "")),
            )
    except InvalidInput as exc:
        return _page(request, {"values": values, "password_errors": exc.errors}, status=422)
    refresh_fingerprint(request, updated)
    log.info("profile.password_changed", user_id=user.id)
    flash(request, "Password changed. Other devices have been signed out.", "success")
    return redirect("/profile")
