"""The API's OpenAPI 3.1 description, made from the endpoints' YAML docstrings; its page."""

from __future__ import annotations

import copy
import sys
from typing import Any

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.convertors import FloatConvertor, IntegerConvertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.schemas import SchemaGenerator

from app.api.jobs import JOB_SCHEMAS
from app.api.recordings import SCHEMAS as RECORDING_SCHEMAS
from app.api.serializers import OUTPUT_SCHEMAS
from courses.inputs import ActivityInput, CourseInput
from courses.passwords import MAX_LENGTH, MIN_LENGTH
from courses.profile import ProfileInput

PREFIX = "/api"
UNSAFE = frozenset({"post", "put", "patch", "delete"})
METHOD_ORDER = ("get", "put", "post", "patch", "delete")

DESCRIPTION = """\
JSON over HTTP, with the same permissions as the web pages.

**Signing in.** `GET /api/session` sets the session cookie `rounds_session` and returns a
`csrf_token`. Send that token in the `X-CSRF-Token` header with every POST, PUT, PATCH and
DELETE (signing in included), then `POST /api/session` with email and password. Signing in
issues a fresh token: use the one in its answer from then on.

**Errors** are `{"error": {"code", "message", "fields"?}}`: 400 for a body that is not a
JSON object, 401 when signing in is needed, 403 when it is not allowed (or the CSRF token is
missing), 404 for what does not exist or is not yours to see, 409 for a conflict, 422 with
`fields` naming each invalid field and what it expects.
"""

FIELD_NOTES = {
    "ProfileInput": {
        "license_state": "Two-letter code of a US state or territory, like CA or NY.",
        "license_number": "As printed: letters, digits, '-', '.', '/' or spaces.",
        "npi": "National Provider Identifier: 10 digits with a valid check digit.",
        "nabp_eprofile_id": "NABP e-Profile ID: up to 7 digits.",
        "birth_month": "1 to 12; give birth_month and birth_day together, or neither.",
        "birth_day": "1 to the last day of birth_month (29 February is valid).",
    },
    "CourseInput": {
        "slug": "Lower-case letters, digits and single dashes; defaults to one from the title.",
        "tags": "Up to 12 tags of lower-case letters, digits, '-' or '+' (a comma-separated "
                "string is accepted too).",
        "capacity": "Seats; null for unlimited. Past it, learners join the waitlist.",
        "faculty_ids": "Users with the faculty or admin role.",
    },
    "ActivityInput": {
        "timezone": "IANA zone name, like America/New_York. Needed for a live session.",
        "starts_at": "Live sessions: ISO 8601; without an offset it is local to timezone.",
        "ends_at": "Live sessions: after starts_at, at most 24 hours later.",
        "capacity": "Live sessions: most people in the room at once; null for no limit.",
        "duration_minutes": "On-demand items: length in minutes.",
        "auto_record": "Live sessions: record from the moment the room opens.",
    },
}

_EXTRA_SCHEMAS: dict[str, Any] = {
    "SignIn": {
        "type": "object", "required": ["email", "password"], "additionalProperties": False,
        "properties": {"email": {"type": "string", "format": "email"},
                       "password": {"type": "string", "format": "password"}},
    },
    "NewUser": {
        "type": "object", "required": ["email", "display_name", "password"],
        "additionalProperties": False,
        "properties": {
            "email": {"type": "string", "format": "email"},
            "display_name": {"type": "string", "minLength": 1, "maxLength": 120},
            "password": {"type": "string", "format": "password", "minLength": MIN_LENGTH,
                         "maxLength": MAX_LENGTH, "description": "Not the email address."},
            "role": {"type": "string", "enum": ["learner", "faculty", "admin"],
                     "default": "learner"},
        },
    },
    "UserChange": {
        "type": "object", "additionalProperties": False,
        "properties": {"role": {"type": "string", "enum": ["learner", "faculty", "admin"]},
                       "is_active": {"type": "boolean"}},
    },
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable, like course_not_found."},
                "message": {"type": "string", "description": "For people to read."},
                "fields": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Each invalid field (or query parameter, or "
                                          "`body`) and what it expects."},
            },
        }},
    },
}


def _model_schemas(models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    """Each model, its ``$defs`` hoisted, and its Patch twin in which nothing is required."""
    found: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        found.update(schema.pop("$defs", {}))
        for field, note in FIELD_NOTES.get(model.__name__, {}).items():
            schema["properties"][field]["description"] = note
        found[model.__name__] = schema
        patch = copy.deepcopy(schema)
        patch.pop("required", None)
        name = model.__name__.removesuffix("Input") + "Patch"
        patch["title"] = name
        patch["description"] = f"Any fields of {model.__name__}; the others keep their values."
        found[name] = patch
    return found


def base_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Rounds API", "version": "1", "description": DESCRIPTION},
        "security": [{"sessionCookie": []}],
        "components": {
            "securitySchemes": {
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "rounds_session",
                                  "description": "Set by GET and POST /api/session."},
                "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                              "description": "The csrf_token from /api/session; required on "
                                             "POST, PUT, PATCH and DELETE."},
            },
            "schemas": {
                **_model_schemas((CourseInput, ActivityInput, ProfileInput)),
                **copy.deepcopy(_EXTRA_SCHEMAS),
                **copy.deepcopy(OUTPUT_SCHEMAS),
                **copy.deepcopy(JOB_SCHEMAS),
                **copy.deepcopy(RECORDING_SCHEMAS),
            },
        },
        "paths": {},
    }


def api_mount(app: Starlette) -> Mount:
    for route in app.routes:
        if isinstance(route, Mount) and route.path == PREFIX:
            return route
    raise LookupError(f"The app mounts nothing at {PREFIX}.")


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    kinds = {IntegerConvertor: "integer", FloatConvertor: "number"}
    return [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": kinds.get(type(conv), "string"),
                    **({"minimum": 1} if isinstance(conv, IntegerConvertor) else {})}}
        for name, conv in route.param_convertors.items()
    ]


def build_document(app: Starlette) -> dict[str, Any]:
    """The document for the API mounted in ``app``: what its routes' docstrings say, plus
    path parameters, security, tags, operation ids and error bodies filled in."""
    mount = api_mount(app)
    generator = SchemaGenerator(base_document())
    document = generator.get_schema(routes=[mount])
    params = {
        PREFIX + r.path_format: _path_parameters(r) for r in mount.routes if isinstance(r, Route)
    }
    tags: dict[str, str] = {}
    for endpoint in generator.get_endpoints([mount]):
        operation = document["paths"].get(endpoint.path, {}).get(endpoint.http_method)
        if operation is None:
            continue  # no YAML docstring; the tests refuse that
        module = endpoint.func.__module__
        tag = module.rsplit(".", 1)[-1]
        tags[tag] = (sys.modules[module].__doc__ or "").strip().splitlines()[0]
        operation.setdefault("operationId", endpoint.func.__name__)
        operation.setdefault("tags", [tag])
        declared = {p.get("name") for p in operation.get("parameters", [])}
        path_params = [p for p in params.get(endpoint.path, []) if p["name"] not in declared]
        if path_params:
            operation["parameters"] = path_params + operation.get("parameters", [])
        if endpoint.http_method in UNSAFE:
            operation.setdefault("security", [{"sessionCookie": [], "csrfToken": []}])
        responses = {str(code): answer for code, answer in operation.get("responses", {}).items()}
        for code, answer in responses.items():
            if code[:1] in "45" and "content" not in answer:
                answer["content"] = {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                }
        operation["responses"] = responses
    document["tags"] = [{"name": name, "description": text} for name, text in tags.items()]
    document["paths"] = dict(sorted(document["paths"].items()))
    return document


def document_of(app: Starlette) -> dict[str, Any]:
    """Built once per app: the routes and docstrings do not change while it runs."""
    cached: dict[str, Any] | None = getattr(app.state, "openapi_document", None)
    if cached is None:
        cached = build_document(app)
        app.state.openapi_document = cached
    return cached


async def openapi_json(request: Request) -> Response:
    """
    summary: This description of the API
    description: OpenAPI 3.1, in JSON.
    security: [{}]
    responses:
      200: {description: The OpenAPI document.}
    """
    return JSONResponse(document_of(request.app))


def schema_name(schema: dict[str, Any] | None) -> str:
    """A short, readable name for a schema: its component's name, or its shape."""
    if not schema:
        return ""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(schema_name(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        return " or ".join(schema_name({**schema, "type": k}) for k in kind)
    if kind == "array":
        return f"array of {schema_name(schema.get('items')) or 'values'}"
    if "enum" in schema and kind != "null":
        return "one of " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    if kind == "object" and schema.get("properties"):
        return "object {" + ", ".join(schema["properties"]) + "}"
    return str(kind) + (f" ({schema['format']})" if "format" in schema else "")


def _body_schema(part: dict[str, Any]) -> dict[str, Any] | None:
    media = part.get("content", {}).get("application/json")
    return media.get("schema") if media else None


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in document["paths"].items():
        for method in sorted(item, key=METHOD_ORDER.index):
            op = item[method]
            found.append({
                "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                "method": method.upper(), "path": path, "tag": op.get("tags", ["api"])[0],
                "summary": op.get("summary", ""), "description": op.get("description", ""),
                "parameters": [{**p, "type": schema_name(p.get("schema"))}
                               for p in op.get("parameters", [])],
                "request": schema_name(_body_schema(op.get("requestBody", {}))),
                "responses": [(code, answer.get("description", ""),
                               schema_name(_body_schema(answer)))
                              for code, answer in sorted(op["responses"].items())],
                "csrf": any("csrfToken" in s for s in op.get("security", [])),
                "public": {} in op.get("security", document["security"]),
            })
    return found


async def docs(request: Request) -> Response:
    """
    summary: This description of the API, as a web page
    security: [{}]
    responses:
      200:
        description: The same content as /api/openapi.json, as HTML.
        content: {text/html: {schema: {type: string}}}
    """
    document = document_of(request.app)
    operations = _operations(document)
    schemas = [
        (name, schema, [(prop, schema_name(s), prop in schema.get("required", []),
                         s.get("description", ""))
                        for prop, s in schema.get("properties", {}).items()])
        for name, schema in sorted(document["components"]["schemas"].items())
    ]
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(
        request, "api/docs.html",
        {"document": document, "tags": document["tags"], "operations": operations,
         "schemas": schemas, "security": document["components"]["securitySchemes"]},
    )
    return response
