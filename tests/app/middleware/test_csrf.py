"""CSRF: every unsafe request under a session carries the session's token, or it is refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.wiring import Services
from courses.models import Role
from tests.conftest import Client
from tests.factories.people import PASSWORD, make_user

REFUSAL = "This request is missing its security token (CSRF)."


@pytest.fixture
async def member(client: Client, services: Services) -> Client:
    user = await make_user(services, Role.LEARNER, name="Casey Csrf")
    await client.sign_in(user.email, PASSWORD)
    return client


async def display_name(http: Client) -> str:
    return str((await http.get("/api/session")).json()["user"]["display_name"])


async def test_a_form_without_the_token_is_refused(member: Client) -> None:
    response = await member.post("/profile", data={"display_name": "Mallory"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert REFUSAL in response.text and "Reload the page and try again" in response.text
    assert await display_name(member) == "Casey Csrf"


@pytest.mark.parametrize("token", ["wrong", "", "x" * 43])
async def test_a_form_with_a_wrong_token_is_refused(member: Client, token: str) -> None:
    response = await member.post("/profile", data={"display_name": "Mallory",
                                                   "csrf_token": token})
    assert response.status_code == 403
    assert REFUSAL in response.text
    assert await display_name(member) == "Casey Csrf"


async def test_a_form_with_the_right_token_goes_through(member: Client) -> None:
    token = await member.csrf()
    response = await member.post("/profile", data={"display_name": "Casey Renamed",
                                                   "csrf_token": token})
    assert response.status_code == 303
    assert await display_name(member) == "Casey Renamed"


async def test_the_token_in_the_page_is_the_one_that_works(member: Client) -> None:
    page = await member.get("/profile")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = await member.post("/profile", data={"display_name": "From The Page",
                                                   "csrf_token": token})
    assert response.status_code == 303


async def test_the_header_works_as_well_as_the_field(member: Client) -> None:
    response = await member.post("/profile", data={"display_name": "Via Header"},
                                 headers={"X-CSRF-Token": await member.csrf()})
    assert response.status_code == 303
    assert await display_name(member) == "Via Header"


async def test_a_multipart_form_with_the_token_reaches_the_page_intact(member: Client) -> None:
    token = await member.csrf()
    response = await member.post(
        "/profile",
        data={"display_name": "Multi Part", "csrf_token": token, "npi": "1234567893"},
        files={"ignored": ("note.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 303
    user = (await member.get("/api/session")).json()["user"]
    assert (user["display_name"], user["npi"]) == ("Multi Part", "1234567893")


async def test_another_session_s_token_is_refused(
    member: Client, services: Services, make_client: Callable[..., Client]
) -> None:
    other = make_client("10.0.0.9")
    foreign = await other.csrf()
    response = await member.post("/profile", data={"display_name": "Mallory",
                                                   "csrf_token": foreign})
    assert response.status_code == 403


async def test_a_request_without_any_session_is_refused(
    make_client: Callable[..., Client]
) -> None:
    fresh = make_client("10.0.0.10")
    response = await fresh.post("/signin", data={"email": "a@b.example", "password": "x",
                                                 "csrf_token": "guess"})
    assert response.status_code == 403
    assert REFUSAL in response.text


async def test_a_json_body_needs_the_header(member: Client) -> None:
    token = await member.csrf()
    response = await member.post("/profile", json={"display_name": "JSON",
                                                   "csrf_token": token})
    assert response.status_code == 403


async def test_api_refusals_are_json(member: Client) -> None:
    response = await member.post("/api/session", json={"email": "x", "password": "y"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


async def test_safe_methods_need_no_token(member: Client) -> None:
    for method in ("GET", "HEAD", "OPTIONS"):
        response = await member.request(method, "/catalog")
        assert response.status_code != 403, method


async def test_a_malformed_body_is_refused_not_crashed(member: Client) -> None:
    response = await member.post(
        "/profile", content=b"--nope\r\n\r\n\x00\xff",
        headers={"content-type": "multipart/form-data; boundary=nope"})
    assert response.status_code == 403
