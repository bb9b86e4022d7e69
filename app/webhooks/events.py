"""The events Rounds sends to webhooks, and ``publish()``, which queues one.

Publishing only writes one ``webhook_deliveries`` row per active endpoint subscribed to the
event, then nudges the dispatcher (``app.webhooks.dispatcher``) over the bus; the posting
happens there, so a slow or dead endpoint never holds up the room, the claim or the job that
published. Hooks in the rest of the app call ``publish_quietly``: a webhook problem is logged,
never raised into the work that happened.

The body is the Standard Webhooks shape::

    {"type": "participant.joined", "timestamp": "2026-12-01T12:00:00Z",
     "data": {...}}

``meeting.started`` and ``meeting.ended`` are published by a meeting's room
(app.signaling.room_store): when the first person comes in, and when it is ended for everyone
(by a host, or at the scheduled close).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

from app.webhooks.store import WebhookStore
from courses.models.webhooks import WebhookDelivery
from media import events as media_events

if TYPE_CHECKING:
    from app.wiring import Services
    from courses.claims import ClaimResult
    from courses.models import Recording, User

log = structlog.get_logger(__name__)

MEETING_STARTED = "meeting.started"
MEETING_ENDED = "meeting.ended"
PARTICIPANT_JOINED = "participant.joined"
PARTICIPANT_LEFT = "participant.left"
RECORDING_READY = "recording.ready"
CREDIT_CLAIMED = "credit.claimed"
TEST = "webhook.test"
"""Sent by an administrator's "Send test event" to one endpoint, whatever it subscribes to."""

EVENT_TYPES: dict[str, str] = {
    MEETING_STARTED: "A meeting's room opened (the first person came in).",
    MEETING_ENDED: "A meeting was ended for everyone.",
    PARTICIPANT_JOINED: "Someone's media connected in a live room.",
    PARTICIPANT_LEFT: "Someone left a live room, was removed, or dropped.",
    RECORDING_READY: "A recording was composed and can be watched.",
    CREDIT_CLAIMED: "A learner claimed credit for an activity.",
}
"""Event types an endpoint may subscribe to, with what each means (shown on the form)."""

WAKE_CHANNEL = "rounds:webhooks:due"
"""Bus channel that tells dispatchers (in this process or a ``rounds worker``) to look."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    return value


def body(event_type: str, data: Mapping[str, Any], at: datetime) -> str:
    """The JSON body posted (and signed) for one event: compact, keys sorted."""
    content = {
        "type": event_type,
        "timestamp": _iso(at),
        "data": {k: _plain(v) for k, v in data.items()},
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def participant_data(
    event: media_events.ParticipantJoined | media_events.ParticipantLeft,
    activity_id: int | None,
    *,
    meeting_id: int | None = None,
    guest_id: int | None = None,
) -> dict[str, Any]:
    """The data of ``participant.joined`` / ``participant.left`` for a live room.

    A course session's room says ``activity_id``; a meeting's says ``meeting_id`` instead, and
    ``guest_id`` (the invitation's id) for a guest, whose ``user_id`` is then null."""
    place = {"meeting_id": meeting_id} if meeting_id is not None else {"activity_id": activity_id}
    data: dict[str, Any] = {
        "room_id": event.room_id,
        **place,
        "participant_id": event.participant_id,
        "user_id": None if guest_id is not None else event.user_id,
        "role": event.role,
        "at": event.at,
    }
    if meeting_id is not None:
        data["guest_id"] = guest_id
    if isinstance(event, media_events.ParticipantLeft):
        data["reason"] = str(event.reason)
    return data


def recording_ready_data(recording: Recording) -> dict[str, Any]:
    return {
        "recording_id": recording.id,
        "room_id": recording.room_id,
        "activity_id": recording.activity_id,
        "course_id": recording.course_id,
        "title": recording.title,
        "duration_seconds": recording.duration_seconds,
        "path": f"/recordings/{recording.id}",
    }


def credit_claimed_data(activity_id: int, user: User, result: ClaimResult) -> dict[str, Any]:
    """Amounts as decimal strings (never floats): 0.75 stays 0.75."""
    return {
        "activity_id": activity_id,
        "user_id": user.id,
        "email": user.email,
        "certificate_code": result.certificate.code,
        "claims": [
            {
                "claim_id": c.id,
                "credit_type": c.credit_type,
                "credits": str(c.credits),
                "claimed_at": _iso(c.claimed_at),
            }
            for c in result.claims
        ],
    }


async def publish(
    services: Services, event_type: str, data: Mapping[str, Any]
) -> list[WebhookDelivery]:
    """Queue ``event_type`` for every active endpoint subscribed to it; the rows written.
    ValueError for an event type Rounds does not send."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    store = WebhookStore(services.db, services.clock)
    endpoints = await store.subscribers(event_type)
    if not endpoints:
        return []
    event_id = new_event_id()
    rows = await store.add_deliveries(
        endpoints,
        event_id=event_id,
        event_type=event_type,
        payload=body(event_type, data, services.clock.now()),
    )
    log.info(
        "webhook.published",
        event_type=event_type,
        event_id=event_id,
        endpoints=[e.id for e in endpoints],
    )
    await wake(services)
    return rows


async def publish_test(services: Services, endpoint_id: int, by: int | None) -> WebhookDelivery:
    """A ``webhook.test`` event for one endpoint (active or not), for its administrator."""
    store = WebhookStore(services.db, services.clock)
    endpoint = await store.endpoint(endpoint_id)
    now = services.clock.now()
    data = {
        "endpoint_id": endpoint.id,
        "sent_by": by,
        "message": "A test event from Rounds: if you can read this, delivery works.",
    }
    event_id = new_event_id()
    [row] = await store.add_deliveries(
        [endpoint], event_id=event_id, event_type=TEST, payload=body(TEST, data, now)
    )
    log.info("webhook.test_published", endpoint_id=endpoint.id, event_id=event_id, by=by)
    await wake(services)
    return row


async def wake(services: Services) -> None:
    """Tell the dispatchers there is something to send. Best effort: they also look on
    their own every few seconds."""
    try:
        await services.bus.publish(WAKE_CHANNEL, {})
    except Exception as exc:
        log.warning("webhook.wake_failed", error=repr(exc))


async def publish_quietly(services: Services, event_type: str, data: Mapping[str, Any]) -> None:
    """``publish`` for hooks in the rest of the app: a failure is logged, never raised."""
    try:
        await publish(services, event_type, data)
    except Exception:
        log.exception("webhook.publish_failed", event_type=event_type)
