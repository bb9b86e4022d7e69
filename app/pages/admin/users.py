"""Users and roles, and the organisation's settings (sign-up on or off)."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.auth import require_admin, services_of
from app.flash import flash
from app.pages._forms import path_int, query_text, read_form, redirect, render
from courses.errors import InvalidInput
from courses.models import Role

log = structlog.get_logger(__name__)


async def user_list(request: Request) -> Response:
    require_admin(request)
    q = query_text(request, "q", 100)
    role = request.query_params.get("role", "")
    role = role if role in {r.value for r in Role} else ""
    async with services_of(request).unit() as unit:
        users = await unit.accounts.list(q=q, role=role)
    return render(request, "admin/users.html",
                  {"users": users, "q": q, "role": role, "roles": [r.value for r in Role]})


async def create_user(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    role = str(form.get("role", "learner"))
    try:
        async with services_of(request).unit() as unit:
            if role not in {r.value for r in Role}:
                raise InvalidInput({"role": "Choose learner, faculty or admin."})
            user = await unit.accounts.create(
                email=str(form.get("email", "")), password=str(form.get("password", "")),
                display_name=str(form.get("display_name", "")), role=Role(role),
            )
    except InvalidInput as exc:
        flash(request, "Account not created: " + "; ".join(
            f"{k.replace('_', ' ')}: {v}" for k, v in exc.errors.items()), "error")
        return redirect("/admin/users")
    log.info("user.created_by_admin", user_id=user.id, admin_id=admin.id, role=role)
    flash(request, f"Account for {user.email} created.", "success")
    return redirect("/admin/users")


async def update_user(request: Request) -> Response:
    admin = require_admin(request)
    user_id = path_int(request, "user_id")
    form = await read_form(request)
    try:
        async with services_of(request).unit() as unit:
            if "role" in form:
                await unit.accounts.set_role(user_id, str(form["role"]), actor=admin)
            if "is_active" in form:
                await unit.accounts.set_active(user_id, form["is_active"] == "1", actor=admin)
    except InvalidInput as exc:
        flash(request, " ".join(exc.errors.values()), "error")
        return redirect("/admin/users")
    log.info("user.updated_by_admin", user_id=user_id, admin_id=admin.id,
             role=form.get("role"), is_active=form.get("is_active"))
    flash(request, "User updated.", "success")
    return redirect("/admin/users")


async def settings_page(request: Request) -> Response:
    require_admin(request)
    async with services_of(request).unit() as unit:
        org = await unit.accounts.organization()
    return render(request, "admin/settings.html", {"org": org})


async def update_settings(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    try:
        async with services_of(request).unit() as unit:
            org = await unit.accounts.update_organization(
                name=str(form.get("name", "")), signup_enabled=form.get("signup_enabled") == "on"
            )
    except InvalidInput as exc:
        async with services_of(request).unit() as unit:
            current = await unit.accounts.organization()
        return render(request, "admin/settings.html", {"org": current, "errors": exc.errors},
                      status=422)
    request.app.state.org_name = org.name
    log.info("settings.updated", admin_id=admin.id, signup_enabled=org.signup_enabled)
    flash(request, "Settings saved.", "success")
    return redirect("/admin/settings")
