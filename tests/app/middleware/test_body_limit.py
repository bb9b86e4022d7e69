"""Bodies over MAX_BODY_BYTES are refused with 413 before anything reads them whole."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.settings import Settings
from app.wiring import Services
from courses.models import Role
from tests.conftest import Client
from tests.factories.people import PASSWORD, make_user

LIMIT = 2048


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_body_bytes": LIMIT})


async def test_a_declared_oversized_body_is_413(client: Client) -> None:
    token = await client.csrf()
    response = await client.post("/signin", data={"csrf_token": token, "email": "a" * LIMIT,
                                                  "password": "x"})
    assert response.status_code == 413
    assert response.text == f"The request body is larger than the {LIMIT} bytes allowed."


async def test_a_streamed_body_without_length_is_cut_off_at_the_limit(client: Client) -> None:
    token = await client.csrf()

    async def chunks() -> AsyncIterator[bytes]:
        yield f"csrf_token={token}&email=".encode()
        for _ in range(10):
            yield b"a" * 512

    response = await client.post(
        "/signin", content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert f"larger than the {LIMIT} bytes allowed" in response.text


async def test_a_lying_content_length_does_not_get_past(client: Client) -> None:
    token = await client.csrf()

    async def chunks() -> AsyncIterator[bytes]:
        yield f"csrf_token={token}&email=".encode()
        yield b"a" * (LIMIT * 2)

    response = await client.post(
        "/signin", content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded", "content-length": "10"})
    assert response.status_code == 413


async def test_api_413s_are_json(client: Client) -> None:
    response = await client.post("/api/session", content=b"{" + b" " * LIMIT + b"}",
                                 headers={"content-type": "application/json",
                                          "X-CSRF-Token": await client.csrf()})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


async def test_a_body_within_the_limit_is_served(client: Client, services: Services) -> None:
    user = await make_user(services, Role.LEARNER)
    response = await client.form("/signin", {"email": user.email, "password": PASSWORD,
                                             "next": "/" + "a" * (LIMIT - 400)})
    assert response.status_code == 303
