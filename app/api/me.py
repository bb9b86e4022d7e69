"""The signed-in user: their account and profile, their courses and their agenda."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.json import read_json
from app.api.serializers import agenda_item_json, my_enrollment_json, user_json
from app.auth import require_user, services_of
from courses.profile import ProfileInput

log = structlog.get_logger(__name__)

PROFILE_FIELDS = tuple(ProfileInput.model_fields)


async def get_me(request: Request) -> Response:
    """
    summary: Your account and profile
    responses:
      200:
        description: You.
        content: {application/json: {schema: {$ref: '#/components/schemas/UserPrivate'}}}
      401: {description: Not signed in.}
    """
    user = require_user(request)
    return JSONResponse(user_json(user, private=True))


async def update_me(request: Request) -> Response:
    """
    summary: Change your profile
    description: >-
      Send only the fields to change; null or "" clears an optional one. Each field is
      checked for its format (two-letter licence state, NPI with its check digit, NABP
      e-Profile ID of up to 7 digits, a real birth month and day, given together), and
      `error.fields` names every field that is wrong with what it expects. Email, role and
      password are not changed here.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/ProfilePatch'}
    responses:
      200:
        description: You, as saved.
        content: {application/json: {schema: {$ref: '#/components/schemas/UserPrivate'}}}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: The CSRF token is missing.}
      422: {description: "Some fields are invalid: `error.fields` names each."}
    """
    user = require_user(request)
    body = await read_json(request)
    async with services_of(request).unit() as unit:
        current = await unit.accounts.get(user.id or 0)
        merged: dict[str, object] = {f: getattr(current, f) for f in PROFILE_FIELDS}
        merged.update(body)
        updated = await unit.accounts.update_profile(user.id or 0, merged)
    log.info("profile.updated", user_id=user.id, fields=sorted(body), via="api")
    return JSONResponse(user_json(updated, private=True))


async def my_enrollments(request: Request) -> Response:
    """
    summary: The courses you are enrolled or waitlisted in
    description: Ordered by course title; withdrawn enrollments are left out.
    responses:
      200:
        description: Your enrollments.
        content:
          application/json:
            schema:
              type: object
              required: [enrollments]
              properties:
                enrollments: {type: array, items: {$ref: '#/components/schemas/MyEnrollment'}}
      401: {description: Not signed in.}
    """
    user = require_user(request)
    async with services_of(request).unit() as unit:
        rows = await unit.enrollment.learner_courses(user.id or 0)
        found = [
            my_enrollment_json(course, row, await unit.enrollment.waitlist_position(row))
            for course, row in rows
        ]
    return JSONResponse({"enrollments": found})


async def my_agenda(request: Request) -> Response:
    """
    summary: Your upcoming live sessions and on-demand items
    description: >-
      From the courses you are enrolled or waitlisted in: live sessions that have not ended,
      soonest first, and every on-demand item.
    responses:
      200:
        description: Your agenda as of `now`.
        content:
          application/json:
            schema:
              type: object
              required: [now, live, on_demand]
              properties:
                now: {type: string, format: date-time}
                live: {type: array, items: {$ref: '#/components/schemas/AgendaItem'}}
                on_demand: {type: array, items: {$ref: '#/components/schemas/AgendaItem'}}
      401: {description: Not signed in.}
    """
    user = require_user(request)
    services = services_of(request)
    now = services.clock.now()
    async with services.unit() as unit:
        agenda = await unit.enrollment.agenda(user.id or 0, now)
    return JSONResponse({
        "now": now.isoformat(),
        "live": [agenda_item_json(i) for i in agenda if i.activity.is_live],
        "on_demand": [agenda_item_json(i) for i in agenda if not i.activity.is_live],
    })
