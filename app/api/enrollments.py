"""Enrollment: your own place in a course, and a course's roster (faculty, administrators)."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.courses import course_id
from app.api.json import only_fields, read_json, text_field
from app.api.params import path_id
from app.api.serializers import counts_json, enrollment_state_json, roster_entry_json
from app.auth import require_admin, require_teacher, require_user, services_of
from app.wiring import Unit
from courses.accounts import normalize_email
from courses.enrollment import EnrollmentState
from courses.errors import InvalidInput, UserNotFound
from courses.models import EnrollmentStatus, User
from courses.models.types import MAX_ID

log = structlog.get_logger(__name__)


def _state_response(state: EnrollmentState) -> JSONResponse:
    """201 when the call enrolled or waitlisted someone, 200 when they already were."""
    return JSONResponse(enrollment_state_json(state), status_code=201 if state.changed else 200)


def _log_enrollment(state: EnrollmentState, **extra: Any) -> None:
    if not state.changed:
        return
    if state.status is EnrollmentStatus.ENROLLED:
        log.info("enrollment.enrolled", course_id=state.course_id, user_id=state.user_id,
                 **extra)
    else:
        log.info("enrollment.waitlisted", course_id=state.course_id, user_id=state.user_id,
                 position=state.waitlist_position, **extra)


async def my_enrollment(request: Request) -> Response:
    """
    summary: Your enrollment in a course
    description: "`status` is null when you never enrolled."
    responses:
      200:
        description: Your state in the course; `changed` is always false here.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/EnrollmentState'}
      401: {description: Not signed in.}
      404: {description: "No such course, or it is unpublished and not yours."}
    """
    user = require_user(request)
    cid = course_id(request)
    async with services_of(request).unit() as unit:
        await unit.catalog.course(cid, user)
        state = await unit.enrollment.state(cid, user.id or 0)
    return JSONResponse(enrollment_state_json(state))


async def enroll_me(request: Request) -> Response:
    """
    summary: Enroll yourself in a course
    description: >-
      Takes a seat, or a place on the waitlist when the course is full (`status` is
      `waitlisted` and `waitlist_position` counts from 1); you move up automatically when a
      seat frees. Idempotent: when you already are enrolled or waitlisted nothing changes,
      and the answer is 200 with `changed` false. A call that did enroll or waitlist you is
      answered 201 with `changed` true.
    responses:
      201:
        description: Enrolled or waitlisted by this call.
        content: {application/json: {schema: {$ref: '#/components/schemas/EnrollmentState'}}}
      200:
        description: Already enrolled or waitlisted; nothing changed.
        content: {application/json: {schema: {$ref: '#/components/schemas/EnrollmentState'}}}
      401: {description: Not signed in.}
      403: {description: The CSRF token is missing.}
      404: {description: "No such course, or it is unpublished."}
      409: {description: "Enrollment is closed: every live session has ended."}
    """
    user = require_user(request)
    cid = course_id(request)
    async with services_of(request).unit() as unit:
        state = await unit.enrollment.enroll(cid, user.id or 0, actor=user)
    _log_enrollment(state, via="api")
    return _state_response(state)


async def withdraw_me(request: Request) -> Response:
    """
    summary: Leave a course or its waitlist
    description: >-
      A freed seat goes to the first person on the waitlist. Idempotent: `changed` is false
      when you were not enrolled.
    responses:
      200:
        description: Your state afterwards.
        content: {application/json: {schema: {$ref: '#/components/schemas/EnrollmentState'}}}
      401: {description: Not signed in.}
      403: {description: The CSRF token is missing.}
      404: {description: No such course.}
    """
    user = require_user(request)
    cid = course_id(request)
    async with services_of(request).unit() as unit:
        state = await unit.enrollment.withdraw(cid, user.id or 0, actor=user)
    if state.changed:
        log.info("enrollment.withdrawn", course_id=cid, user_id=user.id,
                 promoted=list(state.promoted_user_ids), via="api")
    return JSONResponse(enrollment_state_json(state))


async def roster(request: Request) -> Response:
    """
    summary: A course's roster and waitlist
    description: For the course's faculty and administrators. Waitlisted people are in order.
    responses:
      200:
        description: Everyone who ever enrolled, with counts by status.
        content:
          application/json:
            schema:
              type: object
              required: [course_id, counts, enrollments]
              properties:
                course_id: {type: integer}
                counts: {$ref: '#/components/schemas/EnrollmentCounts'}
                enrollments: {type: array, items: {$ref: '#/components/schemas/RosterEntry'}}
      401: {description: Not signed in.}
      403: {description: "Not this course's faculty nor an administrator."}
      404: {description: No such course (or an unpublished one that is not yours).}
    """
    user = require_teacher(request)
    cid = course_id(request)
    async with services_of(request).unit() as unit:
        await unit.catalog.managed_course(cid, user)
        entries = await unit.enrollment.roster(cid)
        counts = await unit.enrollment.counts(cid)
    return JSONResponse({
        "course_id": cid,
        "counts": counts_json(counts),
        "enrollments": [roster_entry_json(e) for e in entries],
    })


async def _learner(unit: Unit, body: dict[str, Any]) -> User:
    """The active account ``body`` names by ``user_id`` or ``email``, or InvalidInput."""
    if ("user_id" in body) == ("email" in body):
        both = "Send either user_id or email, not both."
        raise InvalidInput({"user_id": both, "email": both})
    if "user_id" in body:
        field, uid = "user_id", body["user_id"]
        if not isinstance(uid, int) or isinstance(uid, bool) or uid < 1:
            raise InvalidInput({field: "Send a user id: a whole number from 1."})
        try:
            learner = await unit.accounts.get(uid) if uid <= MAX_ID else None
        except UserNotFound:
            learner = None
        missing = f"There is no user with id {uid}."
    else:
        field = "email"
        email = normalize_email(text_field(body, "email"))
        learner = await unit.accounts.by_email(email)
        missing = f"No account uses {email}. Create the account first."
    if learner is None:
        raise InvalidInput({field: missing})
    if not learner.is_active:
        raise InvalidInput({field: "This account is disabled; enable it first."})
    return learner


async def enroll_someone(request: Request) -> Response:
    """
    summary: Enroll someone in a course
    description: >-
      Administrators only; works on unpublished and finished courses too. Name the person by
      `user_id` or by `email`. Same answers as enrolling yourself: 201 when this call
      enrolled or waitlisted them, 200 when they already were.
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            additionalProperties: false
            properties:
              user_id: {type: integer, minimum: 1}
              email: {type: string, format: email}
            oneOf: [{required: [user_id]}, {required: [email]}]
    responses:
      201:
        description: Enrolled or waitlisted by this call.
        content: {application/json: {schema: {$ref: '#/components/schemas/EnrollmentState'}}}
      200:
        description: Already enrolled or waitlisted.
        content: {application/json: {schema: {$ref: '#/components/schemas/EnrollmentState'}}}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not an administrator, or the CSRF token is missing."}
      404: {description: No such course.}
      422: {description: "No such active user, or the body is wrong: `error.fields` says."}
    """
    admin = require_admin(request)
    cid = course_id(request)
    body = await read_json(request)
    only_fields(body, ("user_id", "email"))
    async with services_of(request).unit() as unit:
        await unit.catalog.course(cid, admin)
        learner = await _learner(unit, body)
        state = await unit.enrollment.enroll(cid, learner.id or 0, actor=admin)
    _log_enrollment(state, admin_id=admin.id, via="api")
    return _state_response(state)


async def withdraw_someone(request: Request) -> Response:
    """
    summary: Remove someone from a course
    description: >-
      Administrators only. Frees their seat (or waitlist place); `promoted_user_ids` lists who
      moved up. Idempotent: `changed` is false when they were not enrolled.
    responses:
      200:
        description: Their state afterwards.
        content: {application/json: {schema: {$ref: '#/components/schemas/EnrollmentState'}}}
      401: {description: Not signed in.}
      403: {description: "Not an administrator, or the CSRF token is missing."}
      404: {description: No such course or user.}
    """
    admin = require_admin(request)
    cid = course_id(request)
    uid = path_id(request, "user_id", UserNotFound, "user")
    async with services_of(request).unit() as unit:
        await unit.catalog.course(cid, admin)
        await unit.accounts.get(uid)
        state = await unit.enrollment.withdraw(cid, uid, actor=admin)
    if state.changed:
        log.info("enrollment.removed_by_admin", course_id=cid, user_id=uid, admin_id=admin.id,
                 promoted=list(state.promoted_user_ids), via="api")
    return JSONResponse(enrollment_state_json(state))
