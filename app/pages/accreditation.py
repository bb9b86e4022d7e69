"""Accreditation setup: the provider's statements; per activity its credit designations,
breaks, live window, disclosures and reporting fields (courses.accreditation).

Who may do what is decided in ``courses.accreditation``: administrators set the provider and
everything that decides or reports credit; the course's faculty read an activity's page and
keep its disclosures. A refused form re-renders the page with the problem next to its fields
(422), and a change after the activity started is refused with the lock's reason (409).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_admin, require_teacher, services_of
from app.flash import flash
from app.pages._forms import path_int, read_form, redirect, render
from app.wiring import Unit
from courses.accreditation import (
    COMPETENCIES,
    AccreditationLocked,
    AccreditationService,
    competencies_of,
    designation_limit,
    instructional_minutes,
    joint_accreditation_statement,
    threshold_of,
)
from courses.activity_details import ActivityDetailsService
from courses.attendance import AttendanceService
from courses.credit_rules import RULES, CreditType
from courses.designations import DesignationService
from courses.disclosures import ROLES, DisclosureService, disclosure_line
from courses.errors import InvalidInput
from courses.models import User

log = structlog.get_logger(__name__)

COMPETENCY_FIELD = "competencies"
BREAK_FIELDS = {"break_title": "title", "break_start": "start", "break_end": "end"}
WINDOW_FIELDS = {"window_start": "start", "window_end": "end"}


def _page(activity_id: int) -> str:
    return f"/admin/activities/{activity_id}/accreditation"


# -- the provider ----------------------------------------------------------------------------
async def _provider_context(unit: Unit) -> dict[str, Any]:
    accreditation = AccreditationService(unit.session, unit.clock)
    org = await accreditation.provider()
    return {
        "org": org,
        "rules": RULES,
        "statements": await accreditation.statements(),
        "default_statement": joint_accreditation_statement(org.name),
    }


async def provider_page(request: Request) -> Response:
    require_admin(request)
    async with services_of(request).unit() as unit:
        context = await _provider_context(unit)
    return render(request, "accreditation/provider.html", context)


async def update_provider(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    try:
        async with services_of(request).unit() as unit:
            org = await AccreditationService(unit.session, unit.clock).update_provider(form, admin)
    except InvalidInput as exc:
        async with services_of(request).unit() as unit:
            context = await _provider_context(unit)
        context.update(errors=exc.errors, values=form)
        return render(request, "accreditation/provider.html", context, status=422)
    request.app.state.org_name = org.name
    flash(request, "Accreditation settings saved.", "success")
    return redirect("/admin/accreditation")


# -- one activity ----------------------------------------------------------------------------
async def _activity_context(unit: Unit, activity_id: int, user: User) -> dict[str, Any]:
    accreditation = AccreditationService(unit.session, unit.clock)
    activity, view = await accreditation.managed(activity_id, user)
    breaks = await accreditation.breaks(activity_id)
    disclosures = await accreditation.disclosures(activity_id)
    minutes = instructional_minutes(activity, breaks)
    window = None
    if activity.is_live:
        window = await AttendanceService(unit.session, unit.clock).window(
            activity, view.faculty_ids
        )
    return {
        "activity": activity,
        "view": view,
        "org": await accreditation.provider(),
        "statements": await accreditation.statements(),
        "designations": await accreditation.designations(activity_id),
        "breaks": breaks,
        "disclosures": [(d, disclosure_line(d)) for d in disclosures],
        "locked": await accreditation.is_locked(activity),
        "live_window": window,
        "rules": RULES,
        "designatable": [t for t in RULES if t is not CreditType.PARTICIPATION],
        "limits": {
            t.value: designation_limit(RULES[t], minutes) for t in RULES if minutes is not None
        },
        "minutes": minutes,
        "competency_choices": COMPETENCIES,
        "competencies": competencies_of(activity),
        "threshold": threshold_of(activity),
        "disclosure_roles": ROLES,
        "learner_view": await DisclosureService(unit.session, unit.clock).for_learners(
            activity, view
        ),
    }


async def activity_page(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        context = await _activity_context(unit, activity_id, user)
    return render(request, "accreditation/activity.html", context)


Change = Callable[[Unit, int, dict[str, Any], User], Awaitable[str]]
"""Makes one change; returns what to flash."""


async def _change(
    request: Request,
    user: User,
    section: str,
    change: Change,
    *,
    form: dict[str, Any] | None = None,
    fields: Mapping[str, str] | None = None,
) -> Response:
    """Run ``change``; on bad input or the lock, show the page again with the problem.

    ``fields`` renames form fields to the service's names (the break and live-window forms
    share a page, so their inputs need names, and element ids, of their own); the errors are
    shown under the form's names."""
    activity_id = path_int(request, "activity_id")
    submitted = await read_form(request) if form is None else form
    names = dict(fields or {})
    data = {names.get(k, k): v for k, v in submitted.items()}
    try:
        async with services_of(request).unit() as unit:
            message = await change(unit, activity_id, data, user)
    except (InvalidInput, AccreditationLocked) as exc:
        async with services_of(request).unit() as unit:
            context = await _activity_context(unit, activity_id, user)
        if isinstance(exc, InvalidInput):
            back = {v: k for k, v in names.items()}
            errors = {back.get(k, k): v for k, v in exc.errors.items()}
            context.update(section=section, errors=errors, values=submitted)
            return render(request, "accreditation/activity.html", context, status=422)
        context.update(problem=exc.message)
        return render(request, "accreditation/activity.html", context, status=409)
    flash(request, message, "success")
    return redirect(_page(activity_id))


async def designate(request: Request) -> Response:
    admin = require_admin(request)

    async def change(unit: Unit, activity_id: int, data: dict[str, Any], actor: User) -> str:
        row = await DesignationService(unit.session, unit.clock).designate(activity_id, data, actor)
        rule = RULES[CreditType(row.credit_type)]
        return f"Designated for a maximum of {row.maximum} {rule.unit}."

    return await _change(request, admin, "designation", change)


async def undesignate(request: Request) -> Response:
    admin = require_admin(request)
    credit_type = request.path_params["credit_type"]

    async def change(unit: Unit, activity_id: int, data: dict[str, Any], actor: User) -> str:
        service = DesignationService(unit.session, unit.clock)
        if await service.undesignate(activity_id, credit_type, actor):
            return "Designation removed."
        return "That designation was already removed."

    return await _change(request, admin, "designation", change)


async def add_break(request: Request) -> Response:
    admin = require_admin(request)

    async def change(unit: Unit, activity_id: int, data: dict[str, Any], actor: User) -> str:
        row = await DesignationService(unit.session, unit.clock).add_break(activity_id, data, actor)
        return f"Break “{row.title}” added: its minutes earn no credit."

    return await _change(request, admin, "break", change, fields=BREAK_FIELDS)


async def remove_break(request: Request) -> Response:
    admin = require_admin(request)
    break_id = path_int(request, "break_id")

    async def change(unit: Unit, activity_id: int, data: dict[str, Any], actor: User) -> str:
        service = DesignationService(unit.session, unit.clock)
        if await service.remove_break(activity_id, break_id, actor):
            return "Break removed."
        return "That break was already removed."

    return await _change(request, admin, "break", change)


async def correct_live_window(request: Request) -> Response:
    admin = require_admin(request)

    async def change(unit: Unit, activity_id: int, data: dict[str, Any], actor: User) -> str:
        activity = await ActivityDetailsService(unit.session, unit.clock).correct_live_window(
            activity_id, data, actor
        )
        if activity.live_started_at is None:
            return "Live window cleared: it is taken from the faculty's connections again."
        return "Live window corrected; attendance and credit are measured in it."

    return await _change(request, admin, "live_window", change, fields=WINDOW_FIELDS)


async def update_details(request: Request) -> Response:
    admin = require_admin(request)
    form = await read_form(request)
    async with request.form() as submitted:  # the competency boxes repeat one name
        form[COMPETENCY_FIELD] = [
            v for v in submitted.getlist(COMPETENCY_FIELD) if isinstance(v, str)
        ]

    async def change(unit: Unit, activity_id: int, data: dict[str, Any], actor: User) -> str:
        await ActivityDetailsService(unit.session, unit.clock).update_details(
            activity_id, data, actor
        )
        return "Accreditation details saved."

    return await _change(request, admin, "details", change, form=form)


async def add_disclosure(request: Request) -> Response:
    user = require_teacher(request)

    async def change(unit: Unit, activity_id: int, data: dict[str, Any], actor: User) -> str:
        row = await DisclosureService(unit.session, unit.clock).add(activity_id, data, actor)
        return f"Disclosure for {row.name} added; learners see it on the activity's page."

    return await _change(request, user, "disclosure", change)


async def remove_disclosure(request: Request) -> Response:
    user = require_teacher(request)
    disclosure_id = path_int(request, "disclosure_id")

    async def change(unit: Unit, activity_id: int, data: dict[str, Any], actor: User) -> str:
        service = DisclosureService(unit.session, unit.clock)
        if await service.remove(activity_id, disclosure_id, actor):
            return "Disclosure removed."
        return "That disclosure was already removed."

    return await _change(request, user, "disclosure", change)


_ACTIVITY = "/admin/activities/{activity_id:int}/accreditation"

ROUTES: list[BaseRoute] = [
    Route("/admin/accreditation", provider_page, name="admin_accreditation"),
    Route("/admin/accreditation", update_provider, methods=["POST"]),
    Route(_ACTIVITY, activity_page, name="activity_accreditation"),
    Route(f"{_ACTIVITY}/designations", designate, methods=["POST"]),
    Route(f"{_ACTIVITY}/designations/{{credit_type}}/remove", undesignate, methods=["POST"]),
    Route(f"{_ACTIVITY}/breaks", add_break, methods=["POST"]),
    Route(f"{_ACTIVITY}/breaks/{{break_id:int}}/remove", remove_break, methods=["POST"]),
    Route(f"{_ACTIVITY}/live-window", correct_live_window, methods=["POST"]),
    Route(f"{_ACTIVITY}/details", update_details, methods=["POST"]),
    Route(f"{_ACTIVITY}/disclosures", add_disclosure, methods=["POST"]),
    Route(
        f"{_ACTIVITY}/disclosures/{{disclosure_id:int}}/remove",
        remove_disclosure,
        methods=["POST"],
    ),
]
