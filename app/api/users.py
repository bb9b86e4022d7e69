"""Accounts, for administrators: finding people, creating accounts, roles and disabling."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.json import only_fields, read_json, text_field
from app.api.params import QueryParams, path_id
from app.api.serializers import user_json
from app.auth import require_admin, services_of
from courses.errors import InvalidInput, UserNotFound
from courses.models import Role

log = structlog.get_logger(__name__)

ROLES = tuple(r.value for r in Role)
ROLE_MESSAGE = "Choose learner, faculty or admin."


async def list_users(request: Request) -> Response:
    """
    summary: Find users
    description: Administrators only. Ordered by name; at most 200.
    parameters:
      - {name: q, in: query, description: Part of the name or email (at most 100 characters).,
         schema: {type: string, maxLength: 100}}
      - {name: role, in: query, description: Only users with this role.,
         schema: {type: string, enum: [learner, faculty, admin]}}
    responses:
      200:
        description: The users found.
        content:
          application/json:
            schema:
              type: object
              required: [users]
              properties:
                users: {type: array, items: {$ref: '#/components/schemas/UserPrivate'}}
      401: {description: Not signed in.}
      403: {description: Not an administrator.}
      422: {description: "A query parameter is malformed: `error.fields` names it."}
    """
    require_admin(request)
    params = QueryParams(request)
    q = params.text("q", 100)
    role = params.choice("role", ROLES)
    params.check()
    async with services_of(request).unit() as unit:
        users = await unit.accounts.list(q=q, role=role)
    return JSONResponse({"users": [user_json(u, private=True) for u in users]})


async def create_user(request: Request) -> Response:
    """
    summary: Create an account
    description: >-
      Administrators only, whether or not self sign-up is on. The password must be at least
      12 characters and unlike the email; `role` defaults to learner.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/NewUser'}
    responses:
      201:
        description: Created.
        content: {application/json: {schema: {$ref: '#/components/schemas/UserPrivate'}}}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not an administrator, or the CSRF token is missing."}
      409: {description: An account with this email already exists.}
      422: {description: "Some fields are invalid: `error.fields` names each."}
    """
    admin = require_admin(request)
    body = await read_json(request, required=("email", "display_name", "password"))
    only_fields(body, ("email", "display_name", "password", "role"))
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name in ("email", "display_name", "password", "role"):
        try:
            values[name] = text_field(body, name, "learner" if name == "role" else None)
        except InvalidInput as exc:
            errors.update(exc.errors)
    if "role" in values and values["role"] not in ROLES:
        errors["role"] = ROLE_MESSAGE
    if errors:
        raise InvalidInput(errors)
    async with services_of(request).unit() as unit:
        user = await unit.accounts.create(
            email=values["email"], password=values["password"],
            display_name=values["display_name"], role=Role(values["role"]),
        )
    log.info("user.created_by_admin", user_id=user.id, admin_id=admin.id, role=user.role,
             via="api")
    return JSONResponse(user_json(user, private=True), status_code=201)


async def update_user(request: Request) -> Response:
    """
    summary: Change a user's role or disable them
    description: >-
      Administrators only. Send `role`, `is_active` or both. You cannot remove your own admin
      role nor disable yourself. A disabled user cannot sign in, and their sessions end.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/UserChange'}
    responses:
      200:
        description: The user, as saved.
        content: {application/json: {schema: {$ref: '#/components/schemas/UserPrivate'}}}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not an administrator, or the CSRF token is missing."}
      404: {description: No such user.}
      422: {description: "A field is invalid: `error.fields` names it."}
    """
    admin = require_admin(request)
    uid = path_id(request, "id", UserNotFound, "user")
    body = await read_json(request)
    only_fields(body, ("role", "is_active"))
    errors: dict[str, str] = {}
    if "role" in body and body["role"] not in ROLES:
        errors["role"] = ROLE_MESSAGE
    if "is_active" in body and not isinstance(body["is_active"], bool):
        errors["is_active"] = "Send true or false."
    if errors:
        raise InvalidInput(errors)
    async with services_of(request).unit() as unit:
        user = await unit.accounts.get(uid)
        if "role" in body:
            user = await unit.accounts.set_role(uid, body["role"], actor=admin)
        if "is_active" in body:
            user = await unit.accounts.set_active(uid, body["is_active"], actor=admin)
    log.info("user.updated_by_admin", user_id=uid, admin_id=admin.id, role=body.get("role"),
             is_active=body.get("is_active"), via="api")
    return JSONResponse(user_json(user, private=True))
