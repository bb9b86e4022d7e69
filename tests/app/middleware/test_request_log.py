"""The request log line: one per request, and never a working secret link in it."""

from __future__ import annotations

from structlog.testing import capture_logs

from tests.conftest import Client


async def test_secret_links_are_hidden_in_the_request_log(client: Client) -> None:
    with capture_logs() as logs:
        await client.get("/password/reset/s3cret-token-value")
        await client.get("/meetings/12/join/guest-token-value")
        await client.post("/meetings/12/join/guest-token-value/token")
        await client.get("/catalog")
    paths = [e["path"] for e in logs if e["event"] == "http.request"]
    assert paths == ["/password/reset/[hidden]", "/meetings/12/join/[hidden]",
                     "/meetings/12/join/[hidden]/token", "/catalog"]
    assert not any("token-value" in str(e) for e in logs)
