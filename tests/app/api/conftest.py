"""Fixtures for the API tests: people of each role, signed-in API clients, a log recorder,
and a small JSON Schema check of answers against the OpenAPI document's components."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette

from app.api.openapi import document_of
from app.wiring import Services
from courses.models import Role, User
from tests.conftest import Client
from tests.factories.people import FAST_PASSWORDS, PASSWORD, make_user

SignedIn = Callable[[User], Awaitable[Client]]


@dataclass
class People:
    """One person of each kind the permission rules tell apart."""

    admin: User
    faculty: User  # teaches the courses the tests make with faculty_ids=[faculty.id]
    other_faculty: User  # faculty, but not of those courses
    learner: User
    learner2: User


@pytest.fixture(autouse=True)
def fast_passwords(services: Services) -> None:
    """These tests sign in many times."""
    services.passwords = FAST_PASSWORDS


@pytest.fixture
async def people(services: Services) -> People:
    return People(
        admin=await make_user(services, Role.ADMIN, name="Ada Admin"),
        faculty=await make_user(services, Role.FACULTY, name="Fay Faculty"),
        other_faculty=await make_user(services, Role.FACULTY, name="Otto Other"),
        learner=await make_user(services, Role.LEARNER, name="Lea Learner"),
        learner2=await make_user(services, Role.LEARNER, name="Leo Learner"),
    )


_addresses = (f"10.20.{i // 250 % 250}.{i % 250 + 1}" for i in itertools.count())


@pytest.fixture
def signed_in(make_client: Callable[..., Client]) -> SignedIn:
    """A new client signed in over the API as ``user``, from an address of its own."""

    async def sign_in(user: User) -> Client:
        http = make_client(next(_addresses))
        response = await http.api("POST", "/api/session",
                                  {"email": user.email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return http

    return sign_in


@pytest.fixture
async def anonymous(make_client: Callable[..., Client]) -> Client:
    """A client with a session cookie and CSRF token, but nobody signed in."""
    return make_client(next(_addresses))


@dataclass
class RecordedLog:
    """Stands in for a module's structlog logger and keeps what it was told."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def info(self, event: str, **values: Any) -> None:
        self.events.append((event, values))

    warning = info

    def named(self, event: str) -> list[dict[str, Any]]:
        return [values for name, values in self.events if name == event]


@pytest.fixture
def recorded_log(monkeypatch: pytest.MonkeyPatch) -> RecordedLog:
    """Every API module's ``log``, recorded."""
    from app.api import activities, courses, enrollments, me, users

    recorder = RecordedLog()
    for module in (activities, courses, enrollments, me, users):
        monkeypatch.setattr(module, "log", recorder)
    return recorder


# -- answers against the OpenAPI document ------------------------------------------------
def schema_problems(document: dict[str, Any], schema: dict[str, Any], value: Any,
                    where: str = "$") -> list[str]:
    """What in ``value`` breaks ``schema`` (the subset of JSON Schema the document uses)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return schema_problems(document, document["components"]["schemas"][name], value, where)
    if "anyOf" in schema:
        options = [schema_problems(document, s, value, where) for s in schema["anyOf"]]
        return [] if any(not o for o in options) else [f"{where}: no anyOf matches"]
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        checks = {
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
            "array": lambda v: isinstance(v, list),
            "object": lambda v: isinstance(v, dict),
        }
        if not any(checks[k](value) for k in kinds):
            return [f"{where}: {value!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    problems: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        problems += [f"{where}: missing {k}" for k in schema.get("required", []) if k not in value]
        problems += [f"{where}: undocumented {k}" for k in value if k not in props]
        for key, item in value.items():
            if key in props:
                problems += schema_problems(document, props[key], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += schema_problems(document, schema["items"], item, f"{where}[{i}]")
    return problems


Conforms = Callable[[str, str, int, Any], None]


@pytest.fixture
def conforms(app: Starlette) -> Conforms:
    """Asserts an answer's body matches what the OpenAPI document says that operation returns."""

    def check(method: str, path: str, status: int, body: Any) -> None:
        document = document_of(app)
        answer = document["paths"][path][method.lower()]["responses"][str(status)]
        schema = answer["content"]["application/json"]["schema"]
        problems = schema_problems(document, schema, body)
        assert not problems, problems

    return check
