"""/api/openapi.json describes every API route; /api/docs shows it to people."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from app.api.openapi import api_mount, build_document, document_of
from courses.inputs import ActivityInput, CourseInput
from courses.profile import ProfileInput
from tests.app.api.conftest import People, SignedIn
from tests.conftest import Client

UNSAFE = {"post", "put", "patch", "delete"}


def api_operations(app: Starlette) -> set[tuple[str, str]]:
    """(method, path) for every route the app serves under /api, read from its routing."""
    mounts = [r for r in app.routes if isinstance(r, Mount) and r.path == "/api"]
    assert len(mounts) == 1
    found = set()
    for route in mounts[0].routes:
        assert isinstance(route, Route), route
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method.lower(), "/api" + route.path_format))
    return found


def undocumented(app: Starlette, document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path) for method, path in api_operations(app)
        if not document["paths"].get(path, {}).get(method, {}).get("summary")
    }


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


async def test_the_document_is_openapi_3_1_json(anonymous: Client) -> None:
    response = await anonymous.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] == "Rounds API"
    assert all(path.startswith("/api/") for path in document["paths"])


async def test_every_api_route_is_documented_with_a_summary(
    anonymous: Client, app: Starlette
) -> None:
    document = (await anonymous.get("/api/openapi.json")).json()
    served = api_operations(app)
    assert len(served) >= 27
    assert undocumented(app, document) == set()
    documented = {(m, p) for p, item in document["paths"].items() for m in item}
    assert documented == served  # and nothing documented that is not served


async def test_an_undocumented_route_would_be_caught(app: Starlette) -> None:
    async def secret(request: object) -> JSONResponse:
        return JSONResponse({})

    mount = api_mount(app)
    mount.routes.append(Route("/secret/{id:int}", secret, methods=["GET", "POST"]))
    try:
        document = build_document(app)
        assert undocumented(app, document) == {("get", "/api/secret/{id}"),
                                               ("post", "/api/secret/{id}")}
    finally:
        mount.routes.pop()


def test_input_models_and_fixed_schemas_are_components(app: Starlette) -> None:
    schemas = document_of(app)["components"]["schemas"]
    for model in (CourseInput, ActivityInput, ProfileInput):
        schema = schemas[model.__name__]
        assert set(schema["properties"]) == set(model.model_fields)
        assert schema["additionalProperties"] is False
        patch = schemas[model.__name__.removesuffix("Input") + "Patch"]
        assert set(patch["properties"]) == set(model.model_fields)
        assert "required" not in patch
    assert schemas["CourseInput"]["required"] == ["title"]
    assert schemas["ActivityKind"]["enum"] == ["live", "on_demand"]
    assert "PharmD" in schemas["Degree"]["enum"]
    assert schemas["SignIn"]["required"] == ["email", "password"]
    error = schemas["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message"]
    assert "fields" in error["properties"]


def test_every_reference_resolves(app: Starlette) -> None:
    document = document_of(app)
    refs = {v["$ref"] for v in walk(document) if isinstance(v, dict) and "$ref" in v}
    assert "#/components/schemas/SignIn" in refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[-1] in document["components"]["schemas"], ref


def test_operations_declare_path_parameters_ids_and_error_bodies(app: Starlette) -> None:
    document = document_of(app)
    operation_ids = []
    for path, item in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            declared = {p["name"]: p for p in operation.get("parameters", [])
                        if p["in"] == "path"}
            assert set(declared) == names, (method, path)
            for parameter in declared.values():
                assert parameter["required"] is True
                assert parameter["schema"]["type"] == "integer"
            assert operation["responses"], (method, path)
            for code, answer in operation["responses"].items():
                assert isinstance(code, str) and code.isdigit()
                assert answer["description"], (method, path, code)
                if code >= "400":
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}
    assert len(operation_ids) == len(set(operation_ids))


async def test_security_cookie_and_csrf_header_are_described(
    anonymous: Client, app: Starlette
) -> None:
    document = document_of(app)
    schemes = document["components"]["securitySchemes"]
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey",
                                        "in": "cookie", "name": "rounds_session"}
    assert schemes["csrfToken"] == {**schemes["csrfToken"], "type": "apiKey", "in": "header",
                                    "name": "X-CSRF-Token"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            security = operation.get("security", document["security"])
            if method in UNSAFE:
                assert security == [{"sessionCookie": [], "csrfToken": []}], (method, path)
            else:
                assert all("csrfToken" not in s for s in security), (method, path)
    public = {p for p, item in document["paths"].items() if {} in item.get("get", {}).get(
        "security", document["security"])}
    assert {"/api/courses", "/api/courses/{id}", "/api/openapi.json"} <= public
    assert "/api/me" not in public
    # The names described are the ones the app really uses.
    response = await anonymous.get("/api/session")
    assert response.headers["set-cookie"].startswith("rounds_session=")
    token = response.json()["csrf_token"]
    signed_out = await anonymous.delete("/api/session", headers={"X-CSRF-Token": token})
    assert signed_out.status_code == 204


async def test_docs_page_shows_every_operation(
    anonymous: Client, app: Starlette
) -> None:
    response = await anonymous.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = html.unescape(response.text)
    assert '<header class="site">' in page  # it extends base.html
    assert "<title>API · " in page
    assert "<script" not in page
    document = document_of(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f"{method.upper()} {path}" in page, (method, path)
            assert operation["summary"] in page, (method, path)
            if operation.get("description"):
                assert operation["description"] in page, (method, path)
    for name in ("CourseInput", "ActivityInput", "ProfileInput", "SignIn", "Error"):
        assert f'id="schema-{name}"' in page, name
    post_courses = page.split('id="post--api-courses"')[1].split("</article>")[0]
    assert 'Request body (JSON): <a href="#schema-CourseInput">' in post_courses
    assert "<strong>201</strong>: Created" in post_courses
    assert "<strong>422</strong>" in post_courses
    listing = page.split('id="get--api-courses"')[1].split("</article>")[0]
    for parameter in ("q", "tag", "format", "page"):
        assert f"<td><code>{parameter}</code></td>" in listing
    assert "one of live, on_demand" in listing
    assert "rounds_session" in page
    assert "X-CSRF-Token" in page


async def test_docs_page_greets_a_signed_in_user_like_other_pages(
    signed_in: SignedIn, people: People
) -> None:
    admin = await signed_in(people.admin)
    page = (await admin.get("/api/docs")).text
    assert "Ada Admin" in page
    assert 'href="/admin/users"' in page


def test_docstrings_use_only_openapi_fields(app: Starlette) -> None:
    """A stray comma in a YAML flow mapping splits a description into a bogus key."""
    operation_fields = {"summary", "description", "parameters", "requestBody", "responses",
                        "security", "tags", "operationId"}
    document = document_of(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert set(operation) <= operation_fields, (method, path)
            for code, answer in operation["responses"].items():
                assert set(answer) <= {"description", "content", "headers"}, (method, path, code)
                assert answer["description"].endswith("."), (method, path, code)
            for parameter in operation.get("parameters", []):
                assert set(parameter) <= {"name", "in", "description", "required", "schema"}
