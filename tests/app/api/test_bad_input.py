"""No bad request is ever answered 500: every unsafe route, sent what a careless or hostile
client might send, answers 4xx with the JSON error body. The routes come from the OpenAPI
document, so a new endpoint is covered as soon as it is documented."""

from __future__ import annotations

import re
from typing import Any

import httpx
from starlette.applications import Starlette

from app.api.openapi import document_of
from app.jobs import JobStore
from app.wiring import Services
from tests.app.api.conftest import People, SignedIn
from tests.conftest import Client
from tests.factories.catalog import make_course, make_on_demand
from tests.factories.replay import make_recording

UNSAFE = ("post", "put", "patch", "delete")


def operations(app: Starlette, *, with_body: bool | None = None) -> list[tuple[str, str]]:
    document = document_of(app)
    return [
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in UNSAFE and path != "/api/session"
        and (with_body is None or ("requestBody" in operation) == with_body)
    ]


async def fill(services: Services, people: People, path: str) -> str:
    """``path`` with its parameters naming real rows the admin may change."""
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    activity = await make_on_demand(services, people.admin, course)
    recording = await make_recording(services, course=course, with_files=True)
    job = await JobStore(services.db, services.clock).create("compose", recording.id, 3)
    ids = {"courses": course.id, "activities": activity.id, "users": people.learner.id,
           "enrollments": people.learner.id, "recordings": recording.id, "jobs": job.id}

    def value(match: re.Match[str]) -> str:
        return f"{match.group(1)}/{ids[match.group(1)]}"

    return re.sub(r"(\w+)/{\w+}", value, path)


async def send(client: Client, method: str, url: str, content: bytes,
               content_type: str = "application/json") -> httpx.Response:
    token = await client.csrf()
    return await client.request(method, url, content=content,
                                headers={"X-CSRF-Token": token, "Content-Type": content_type})


def assert_error(response: httpx.Response, status: int | tuple[int, ...], what: object) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (what, response.status_code, response.text[:300])
    error = response.json()["error"]
    assert error["code"] and error["message"], what


async def test_covers_every_unsafe_route(app: Starlette) -> None:
    assert len(operations(app)) == 19
    assert len(operations(app, with_body=True)) == 12


async def test_missing_or_wrong_csrf_header_is_403_and_changes_nothing(
    app: Starlette, signed_in: SignedIn, services: Services, people: People
) -> None:
    admin = await signed_in(people.admin)
    for method, path in operations(app):
        url = await fill(services, people, path)
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            response = await admin.request(method, url, json={"title": "x"}, headers=headers)
            assert_error(response, 403, (method, path, headers))
            assert response.json()["error"]["code"] == "csrf_failed"
    async with services.unit() as unit:
        assert all(v.course.title != "x" for v in await unit.catalog.managed_courses(
            people.admin))


async def test_bodies_that_are_not_json_objects_are_400(
    app: Starlette, signed_in: SignedIn, services: Services, people: People
) -> None:
    admin = await signed_in(people.admin)
    bad: list[tuple[bytes, str]] = [
        (b'{"title": ', "application/json"),
        (b"\xff\xfe\xfa", "application/json"),
        (b"", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"text"', "application/json"),
        (b"null", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"title=x", "application/x-www-form-urlencoded"),
        (b'{"title": "x"}', "text/plain"),
    ]
    for method, path in operations(app, with_body=True):
        url = await fill(services, people, path)
        for content, content_type in bad:
            if content == b"" and path in OPTIONAL_BODY:
                continue  # no body at all is a valid call there
            response = await send(admin, method, url, content, content_type)
            assert_error(response, 400, (method, path, content[:20]))
            assert response.json()["error"]["code"] == "bad_request"
            assert "body" in response.json()["error"]["fields"]


OPTIONAL_BODY = {"/api/recordings/{id}/publish"}
"""Publishing takes the recording's own title and chapters when the body is empty."""

UNSTORABLE = [
    b'{"%s": "a\\u0000b"}',
    b'{"%s": "\\ud800"}',
    b'{"%s": 1e400}',
    b'{"%s": NaN}',
    b'{"%s": 123456789012345678901234567890}',
    b'{"%s": [[[["\\u0000"]]]]}',
]


async def test_values_no_database_can_store_are_422(
    app: Starlette, signed_in: SignedIn, services: Services, people: People
) -> None:
    admin = await signed_in(people.admin)
    for method, path in operations(app, with_body=True):
        url = await fill(services, people, path)
        for template in UNSTORABLE:
            response = await send(admin, method, url, template % b"title")
            assert_error(response, 422, (method, path, template))
            assert "title" in response.json()["error"]["fields"]
    response = await send(admin, "POST", "/api/courses", b'{"ti\\u0000tle": "x"}')
    assert_error(response, 422, "nul in a key")


WRONG_VALUES: list[Any] = [
    None, True, 0, -1, 2**62, 1.5, "", " ", "x" * 30_000, [], [None], {}, {"a": 1},
    ["x" * 100] * 50, "0001-01-01T00:00", "9999-12-31T23:30", "0001-01-01T00:00+05:00",
    "../../etc/passwd", "Mars/Olympus", "<script>", "1234567893",
]
FIELDS = {
    "/api/courses": ["title", "slug", "summary", "tags", "published", "capacity",
                     "faculty_ids"],
    "/api/courses/{id}": ["title", "slug", "tags", "published", "capacity", "faculty_ids"],
    "/api/courses/{id}/activities": ["kind", "timezone", "starts_at", "ends_at", "capacity",
                                     "duration_minutes"],
    "/api/activities/{id}": ["kind", "timezone", "starts_at", "ends_at", "capacity",
                             "duration_minutes"],
    "/api/courses/{id}/enrollments": ["user_id", "email"],
    "/api/me": ["display_name", "degree", "license_state", "license_number", "npi",
                "nabp_eprofile_id", "birth_month", "birth_day"],
    "/api/users": ["email", "display_name", "password", "role"],
    "/api/users/{id}": ["role", "is_active"],
    "/api/recordings/{id}": ["title", "description", "chapters"],
    "/api/recordings/{id}/publish": ["title", "description", "chapters"],
    "/api/recordings/{id}/watch": ["ranges", "position"],
    "/api/recordings/{id}/compose": ["layout"],
}
BASES: dict[str, dict[str, Any]] = {
    "/api/courses": {"title": "Fuzzed"},
    "/api/courses/{id}/activities": {"kind": "live", "title": "Fuzzed",
                                     "timezone": "America/New_York",
                                     "starts_at": "2027-01-05T09:00",
                                     "ends_at": "2027-01-05T10:00"},
    "/api/users": {"email": "fuzz@hospital.example.org", "display_name": "Fuzz",
                   "password": "fuzzing passphrase"},
}


async def test_wrong_values_in_every_field_never_answer_500(
    app: Starlette, signed_in: SignedIn, services: Services, people: People
) -> None:
    admin = await signed_in(people.admin)
    assert {p for _, p in operations(app, with_body=True)} == set(FIELDS)
    seen: set[int] = set()
    token = {"X-CSRF-Token": await admin.csrf()}
    for method, path in operations(app, with_body=True):
        url = await fill(services, people, path)
        for field in FIELDS[path]:
            for value in WRONG_VALUES:
                body = {**BASES.get(path, {}), field: value}
                response = await admin.request(method.upper(), url, json=body, headers=token)
                what = (method, path, field, repr(value)[:60], response.text[:300])
                assert response.status_code < 500, what
                seen.add(response.status_code)
                if response.status_code >= 400:
                    assert_error(response, response.status_code, what)
    assert 422 in seen and {200, 201} & seen


async def test_unknown_paths_and_methods_answer_json_errors(anonymous: Client) -> None:
    missing = await anonymous.get("/api/nothing-here")
    assert_error(missing, 404, "unknown path")
    not_allowed = await anonymous.api("PUT", "/api/courses", {})
    assert_error(not_allowed, 405, "unknown method")
