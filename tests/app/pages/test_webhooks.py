"""The webhooks pages: an administrator registers an endpoint, reads its secret, sends a test
event that a real receiver gets signed, reads the delivery log, retries, disables, deletes."""

from __future__ import annotations

import json
import re

import pytest

from app.webhooks.dispatcher import WebhookDispatcher
from app.webhooks.events import CREDIT_CLAIMED, PARTICIPANT_JOINED, RECORDING_READY, publish
from app.webhooks.signing import verify
from app.webhooks.store import WebhookStore
from app.wiring import Services
from courses.models import Activity
from courses.models.webhooks import DeliveryState
from tests.app.pages import test_credit as credit_tests
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, flashes, text_of
from tests.app.webhook_receiver import receiver
from tests.conftest import Client, MovableClock


@pytest.fixture
async def admin(cast: Cast, signed_in: SignedIn) -> Client:
    return await signed_in(cast.admin)


def secret_on(page: str) -> str:
    found = re.search(r'<code class="webhook-secret">(whsec_[A-Za-z0-9+/=]+)</code>', page)
    assert found, page
    return found.group(1)


async def register(admin: Client, url: str, *events: str, description: str = "") -> int:
    response = await admin.form(
        "/admin/webhooks", {"url": url, "description": description, "events": list(events)}
    )
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/admin/webhooks/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


async def test_admin_registers_an_endpoint_and_a_test_event_reaches_it_signed(
    admin: Client, services: Services, clock: MovableClock
) -> None:
    empty = await admin.get("/admin/webhooks")
    assert empty.status_code == 200 and "No endpoints yet." in text_of(empty.text)
    async with receiver(200) as hooks:
        endpoint_id = await register(
            admin, hooks.url, PARTICIPANT_JOINED, CREDIT_CLAIMED, description="CME database"
        )
        page = await admin.get(f"/admin/webhooks/{endpoint_id}")
        assert "Endpoint registered." in " ".join(flashes(page.text))
        secret = secret_on(page.text)
        assert "Nothing sent yet." in text_of(page.text)
        listing = text_of((await admin.get("/admin/webhooks")).text)
        assert hooks.url in listing and "CME database" in listing
        assert "credit.claimed, participant.joined" in listing
        sent = await admin.form(f"/admin/webhooks/{endpoint_id}/test")
        assert sent.status_code == 303
        dispatcher = WebhookDispatcher(services, timeout=2)
        try:
            [done] = await dispatcher.run_due()
        finally:
            await dispatcher.close()
        assert done.state == DeliveryState.SUCCEEDED
    [request] = hooks.requests
    verify(secret, request.headers, request.body, now=clock.now().timestamp())
    assert json.loads(request.body)["type"] == "webhook.test"
    log = text_of((await admin.get(f"/admin/webhooks/{endpoint_id}")).text)
    assert f"webhook.test {done.event_id}" in log
    assert "succeeded" in log and "HTTP 200" in log


async def test_the_delivery_log_shows_failures_and_retry_now_sends_again(
    admin: Client, services: Services
) -> None:
    async with receiver(500, 204) as hooks:
        endpoint_id = await register(admin, hooks.url, RECORDING_READY)
        [row] = await publish(services, RECORDING_READY, {"recording_id": 9})
        dispatcher = WebhookDispatcher(services, timeout=2)
        try:
            await dispatcher.run_due()
            page = text_of((await admin.get(f"/admin/webhooks/{endpoint_id}")).text)
            assert "pending" in page and "next try" in page
            assert "HTTP 500 Internal Server Error: receiver trouble" in page
            retried = await admin.form(f"/admin/webhooks/deliveries/{row.id}/retry")
            assert retried.status_code == 303
            assert retried.headers["location"] == f"/admin/webhooks/{endpoint_id}"
            [done] = await dispatcher.run_due()  # due now, not in 30 s
            assert (done.state, done.last_status, done.attempts) == ("succeeded", 204, 2)
            again = await admin.form(f"/admin/webhooks/deliveries/{row.id}/retry")
            assert again.status_code == 303
            after = await admin.get(f"/admin/webhooks/{endpoint_id}")
            assert "only a failed or waiting delivery" in " ".join(flashes(after.text))
        finally:
            await dispatcher.close()
    missing = await admin.form("/admin/webhooks/deliveries/999999/retry")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "Enter the URL"),
        ("ftp://hooks.example.org/x", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("https://user:pw@hooks.example.org/x", "Leave credentials out"),
        ("https:///x", "needs a host name"),
        ("https://hooks.example.org:99999/", "check the port"),
        ("https://hooks.example.org/a b", "no spaces"),
        ("https://hooks.example.org/#frag", "fragment"),
        ("https://hooks.example.org/" + "a" * 2000, "at most 2000"),
    ],
)
async def test_a_bad_url_is_refused_with_a_reason(
    admin: Client, services: Services, url: str, why: str
) -> None:
    response = await admin.form("/admin/webhooks", {"url": url, "events": [PARTICIPANT_JOINED]})
    assert response.status_code == 422
    error = field_error(response.text, "url")
    assert error and why in error
    assert await WebhookStore(services.db, services.clock).endpoints() == []


async def test_events_must_be_known_and_at_least_one(admin: Client) -> None:
    none = await admin.form("/admin/webhooks", {"url": "https://hooks.example.org/"})
    assert none.status_code == 422
    assert "Choose at least one event" in (field_error(none.text, "events") or "")
    odd = await admin.form(
        "/admin/webhooks", {"url": "https://hooks.example.org/", "events": ["credit.stolen"]}
    )
    assert odd.status_code == 422
    assert "Unknown event type" in (field_error(odd.text, "events") or "")
    # what was typed comes back
    assert 'value="https://hooks.example.org/"' in odd.text


async def test_description_is_shown_as_text(admin: Client) -> None:
    endpoint_id = await register(
        admin, "https://hooks.example.org/", CREDIT_CLAIMED, description="<script>x()</script>"
    )
    page = await admin.get(f"/admin/webhooks/{endpoint_id}")
    assert "<script>x()</script>" not in page.text
    assert "&lt;script&gt;x()&lt;/script&gt;" in page.text


async def test_edit_disable_enable_and_delete(admin: Client, services: Services) -> None:
    store = WebhookStore(services.db, services.clock)
    endpoint_id = await register(admin, "http://127.0.0.1:9/hook", CREDIT_CLAIMED)
    saved = await admin.form(
        f"/admin/webhooks/{endpoint_id}/events",
        {"description": "LRS", "events": [RECORDING_READY, PARTICIPANT_JOINED]},
    )
    assert saved.status_code == 303
    endpoint = await store.endpoint(endpoint_id)
    assert endpoint.subscribed == [PARTICIPANT_JOINED, RECORDING_READY]
    assert endpoint.description == "LRS"
    refused = await admin.form(f"/admin/webhooks/{endpoint_id}/events", {"description": "x"})
    assert refused.status_code == 422
    assert (await store.endpoint(endpoint_id)).subscribed == [PARTICIPANT_JOINED, RECORDING_READY]

    off = await admin.form(f"/admin/webhooks/{endpoint_id}/active", {"active": "0"})
    assert off.status_code == 303
    assert await publish(services, RECORDING_READY, {}) == []
    page = await admin.get(f"/admin/webhooks/{endpoint_id}")
    assert "Endpoint disabled" in " ".join(flashes(page.text))
    assert ">Enable</button>" in page.text
    await admin.form(f"/admin/webhooks/{endpoint_id}/active", {"active": "1"})
    assert len(await publish(services, RECORDING_READY, {})) == 1

    gone = await admin.form(f"/admin/webhooks/{endpoint_id}/delete")
    assert gone.status_code == 303 and gone.headers["location"] == "/admin/webhooks"
    assert await store.endpoints() == []
    assert (await admin.get(f"/admin/webhooks/{endpoint_id}")).status_code == 404
    assert (await admin.form(f"/admin/webhooks/{endpoint_id}/test")).status_code == 404


# the credit pages' fixtures: a live session the learner attended for 52 of 60 minutes
course = credit_tests.course
session = credit_tests.session
learner = credit_tests.learner


async def test_a_claim_publishes_credit_claimed(
    admin: Client,
    learner: Client,
    services: Services,
    clock: MovableClock,
    session: Activity,
    cast: Cast,
) -> None:
    endpoint_id = await register(admin, "http://127.0.0.1:9/cme", CREDIT_CLAIMED)
    code = await credit_tests.claim_and_code(learner, session, clock)
    [row] = await WebhookStore(services.db, services.clock).deliveries(endpoint_id)
    event = json.loads(row.payload)
    assert event["type"] == CREDIT_CLAIMED
    data = event["data"]
    assert data["activity_id"] == session.id and data["user_id"] == cast.learner.id
    assert data["email"] == cast.learner.email and data["certificate_code"] == code
    [claim] = data["claims"]
    assert claim["credit_type"] == "AMA_PRA_1" and claim["credits"] == "0.75"
