"""Browser security headers and a request id on every response, errors included."""

from __future__ import annotations

import re

import httpx
import pytest

from app.main import create_app
from app.middleware.security_headers import CONTENT_SECURITY_POLICY
from app.settings import Settings
from app.wiring import Services
from courses.models import Role
from tests.conftest import Client
from tests.factories.people import PASSWORD, make_user


def assert_protected(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{16}", headers["x-request-id"])


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/catalog", 200),
        ("GET", "/healthz", 200),
        ("GET", "/static/css/rounds.css", 200),
        ("GET", "/dashboard", 303),
        ("GET", "/courses/999999", 404),
        ("GET", "/no/such/page", 404),
        ("POST", "/profile", 403),  # refused by the CSRF check
        ("DELETE", "/catalog", 405),
        ("GET", "/api/session", 200),
    ],
)
async def test_every_response_carries_the_headers(
    client: Client, method: str, path: str, status: int
) -> None:
    # DELETE carries the token so that the router, not the CSRF check, answers it
    headers = {"X-CSRF-Token": await client.csrf()} if method == "DELETE" else {}
    response = await client.request(method, path, headers=headers)
    assert response.status_code == status
    assert_protected(response)


async def test_request_ids_differ(client: Client) -> None:
    ids = {(await client.get("/healthz")).headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


async def test_pages_need_nothing_the_policy_blocks(client: Client, services: Services) -> None:
    """No inline script or style: the CSP would block them."""
    admin = await make_user(services, Role.ADMIN)
    await client.sign_in(admin.email, PASSWORD)
    for path in ("/catalog", "/dashboard", "/profile", "/admin/courses", "/admin/courses/new",
                 "/admin/users", "/admin/settings", "/no/such/page"):
        page = (await client.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert not re.search(r"\sstyle=", page), path
        assert not re.search(r"\son[a-z]+=", page), path
    refusal = await client.post("/profile", data={"display_name": "x"})
    assert refusal.status_code == 403
    assert not re.search(r"\sstyle=", refusal.text)


async def test_no_hsts_over_plain_http(client: Client) -> None:
    assert "strict-transport-security" not in (await client.get("/catalog")).headers


async def test_secure_cookies_bring_hsts_and_secure_session_cookies(
    settings: Settings, services: Services
) -> None:
    secure = settings.model_copy(update={"secure_cookies": True})
    app = create_app(secure, services=services)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        response = await http.get("/api/session")
        assert response.headers["strict-transport-security"] == "max-age=31536000"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("rounds_session=")
        assert "secure" in [p.strip().lower() for p in cookie.split(";")]
