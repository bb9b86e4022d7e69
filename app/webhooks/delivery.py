"""One attempt at one webhook delivery: sign, POST, and record how it went.

Success is any 2xx answer within ``TIMEOUT_SECONDS``. A timeout, a connection error or any
other status is recorded on the row (status, error) and retried after ``BACKOFF`` (30 s,
2 min, 10 min, 1 h, 6 h): six attempts in all over about seven hours, then FAILED, from where
an administrator may send it again. Redirects are not followed: a 3xx is a failure that says
where the endpoint moved, so the administrator can correct the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
import structlog

from app.webhooks.signing import sign
from app.webhooks.store import WebhookStore
from courses.models.webhooks import WebhookDelivery, WebhookEndpoint

log = structlog.get_logger(__name__)

TIMEOUT_SECONDS = 10.0
BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
ERROR_BODY_CHARS = 300
USER_AGENT = "Rounds-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_delay(attempt: int) -> timedelta | None:
    """The wait after failed attempt ``attempt`` (1-based); None after the last one."""
    return BACKOFF[attempt - 1] if 1 <= attempt <= len(BACKOFF) else None


async def post(
    client: httpx.AsyncClient,
    endpoint: WebhookEndpoint,
    delivery: WebhookDelivery,
    timestamp: int,
    limit_seconds: float,
) -> Answer:
    """POST the delivery's payload, signed; what came back, never raising for the network."""
    content = delivery.payload.encode()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **sign(endpoint.secret, delivery.event_id, timestamp, content),
    }
    try:
        response = await client.post(
            endpoint.url,
            content=content,
            headers=headers,
            timeout=limit_seconds,
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        return Answer(None, f"{type(exc).__name__}: no answer within {limit_seconds:g} s.")
    except httpx.HTTPError as exc:
        detail = str(exc) or "the connection failed"
        return Answer(None, f"{type(exc).__name__}: {detail}")
    if 200 <= response.status_code < 300:
        return Answer(response.status_code, "")
    text = response.text.strip()[:ERROR_BODY_CHARS]
    error = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if 300 <= response.status_code < 400 and response.headers.get("location"):
        error += f": redirected to {response.headers['location'][:ERROR_BODY_CHARS]}"
    elif text:
        error += f": {text}"
    return Answer(response.status_code, error)


async def deliver(
    store: WebhookStore,
    client: httpx.AsyncClient,
    delivery: WebhookDelivery,
    *,
    limit_seconds: float = TIMEOUT_SECONDS,
) -> WebhookDelivery | None:
    """Make the attempt ``store.claim_due`` took for ``delivery``; the row after, or None
    when the row moved on meanwhile (deleted, sent again by an administrator)."""
    assert delivery.id is not None
    attempt = delivery.attempts
    try:
        endpoint = await store.endpoint(delivery.endpoint_id)
    except Exception as exc:
        log.warning("webhook.endpoint_gone", delivery_id=delivery.id, error=repr(exc))
        return None
    if not endpoint.active:
        # Disabled after this was queued: keep it for the log, do not post it.
        return await store.fail_attempt(
            delivery.id,
            attempt,
            status=None,
            retry_at=None,
            error="Not sent: the endpoint is disabled.",
        )
    answer = await post(
        client, endpoint, delivery, int(store.clock.now().timestamp()), limit_seconds
    )
    fields = {
        "delivery_id": delivery.id,
        "endpoint_id": endpoint.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "attempt": attempt,
        "status": answer.status,
    }
    if answer.ok:
        assert answer.status is not None
        row = await store.succeed(delivery.id, attempt, answer.status)
        log.info("webhook.delivered", **fields)
        return row
    delay = retry_delay(attempt)
    retry_at = store.clock.now() + delay if delay is not None else None
    row = await store.fail_attempt(
        delivery.id, attempt, status=answer.status, error=answer.error, retry_at=retry_at
    )
    if retry_at is None:
        log.warning("webhook.failed", error=answer.error, **fields)
    else:
        log.warning("webhook.retrying", error=answer.error, retry_at=retry_at.isoformat(), **fields)
    return row
