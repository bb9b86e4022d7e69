"""Webhooks: endpoints administrators register, and the log of what was delivered.

Each endpoint's page shows its signing secret: receivers need it to verify requests, and only
administrators reach the page (it is logged when an administrator registers an endpoint, not
each time the page is read)."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_admin, services_of
from app.flash import flash
from app.middleware.csrf import FIELD as CSRF_FIELD
from app.pages._forms import path_int, redirect, render
from app.webhooks.events import EVENT_TYPES, TEST, publish_test, wake
from app.webhooks.signing import TOLERANCE_SECONDS
from app.webhooks.store import (
    DESCRIPTION_MAX_LENGTH,
    WebhookStore,
    check_event_types,
    check_url,
)
from courses.errors import Conflict, InvalidInput

log = structlog.get_logger(__name__)


def _store(request: Request) -> WebhookStore:
    services = services_of(request)
    return WebhookStore(services.db, services.clock)


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    """The single fields (NUL dropped, CSRF left out) and the ticked event types."""
    async with request.form() as form:
        single = {
            k: str(v).replace("\x00", "")
            for k, v in form.items()
            if k != CSRF_FIELD and k != "events" and isinstance(v, str)
        }
        events = [v for v in form.getlist("events") if isinstance(v, str)]
    return single, events


def _context(**extra: Any) -> dict[str, Any]:
    return {
        "event_types": EVENT_TYPES,
        "description_max": DESCRIPTION_MAX_LENGTH,
        "test_type": TEST,
        **extra,
    }


async def endpoint_list(request: Request) -> Response:
    require_admin(request)
    endpoints = await _store(request).endpoints()
    return render(
        request, "admin/webhooks.html", _context(endpoints=endpoints, errors={}, form={}, chosen=[])
    )


async def create_endpoint(request: Request) -> Response:
    admin = require_admin(request)
    form, events = await _form(request)
    store = _store(request)
    errors: dict[str, str] = {}
    url = event_types = ""
    try:
        url = check_url(form.get("url", ""))
    except InvalidInput as exc:
        errors.update(exc.errors)
    try:
        event_types = check_event_types(events, EVENT_TYPES)
    except InvalidInput as exc:
        errors.update(exc.errors)
    description = form.get("description", "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = f"Use at most {DESCRIPTION_MAX_LENGTH} characters."
    if errors:
        return render(
            request,
            "admin/webhooks.html",
            _context(endpoints=await store.endpoints(), errors=errors, form=form, chosen=events),
            status=422,
        )
    endpoint = await store.create_endpoint(
        url=url, description=description, event_types=event_types, created_by=admin.id
    )
    log.info(
        "webhook.endpoint_created",
        endpoint_id=endpoint.id,
        url=endpoint.url,
        event_types=endpoint.subscribed,
        admin_id=admin.id,
    )
    flash(
        request, "Endpoint registered. Give its signing secret to the receiving system.", "success"
    )
    return redirect(f"/admin/webhooks/{endpoint.id}")


async def endpoint_page(request: Request) -> Response:
    require_admin(request)
    endpoint_id = path_int(request, "endpoint_id")
    store = _store(request)
    endpoint = await store.endpoint(endpoint_id)
    deliveries = await store.deliveries(endpoint_id)
    return render(
        request,
        "admin/webhook.html",
        _context(
            endpoint=endpoint,
            deliveries=deliveries,
            errors={},
            tolerance_minutes=TOLERANCE_SECONDS // 60,
        ),
    )


async def update_events(request: Request) -> Response:
    admin = require_admin(request)
    endpoint_id = path_int(request, "endpoint_id")
    form, events = await _form(request)
    store = _store(request)
    endpoint = await store.endpoint(endpoint_id)
    errors: dict[str, str] = {}
    description = form.get("description", "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = f"Use at most {DESCRIPTION_MAX_LENGTH} characters."
    try:
        event_types = check_event_types(events, EVENT_TYPES)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        endpoint.description = description[:DESCRIPTION_MAX_LENGTH]
        endpoint.event_types = " ".join(e for e in events if e in EVENT_TYPES)
        return render(
            request,
            "admin/webhook.html",
            _context(
                endpoint=endpoint,
                deliveries=await store.deliveries(endpoint_id),
                errors=errors,
                tolerance_minutes=TOLERANCE_SECONDS // 60,
            ),
            status=422,
        )
    endpoint = await store.update_endpoint(
        endpoint_id, description=description, event_types=event_types
    )
    log.info(
        "webhook.endpoint_updated",
        endpoint_id=endpoint_id,
        event_types=endpoint.subscribed,
        admin_id=admin.id,
    )
    flash(request, "Endpoint saved.", "success")
    return redirect(f"/admin/webhooks/{endpoint_id}")


async def set_active(request: Request) -> Response:
    admin = require_admin(request)
    endpoint_id = path_int(request, "endpoint_id")
    form, _ = await _form(request)
    active = form.get("active") == "1"
    await _store(request).update_endpoint(endpoint_id, active=active)
    log.info(
        "webhook.endpoint_" + ("enabled" if active else "disabled"),
        endpoint_id=endpoint_id,
        admin_id=admin.id,
    )
    flash(
        request,
        "Endpoint enabled: new events are sent to it."
        if active
        else "Endpoint disabled: no events are sent to it until it is enabled again.",
        "success",
    )
    return redirect(f"/admin/webhooks/{endpoint_id}")


async def delete_endpoint(request: Request) -> Response:
    admin = require_admin(request)
    endpoint_id = path_int(request, "endpoint_id")
    await _store(request).delete_endpoint(endpoint_id)
    log.info("webhook.endpoint_deleted", endpoint_id=endpoint_id, admin_id=admin.id)
    flash(request, "Endpoint deleted, with its delivery log.", "success")
    return redirect("/admin/webhooks")


async def send_test(request: Request) -> Response:
    admin = require_admin(request)
    endpoint_id = path_int(request, "endpoint_id")
    delivery = await publish_test(services_of(request), endpoint_id, admin.id)
    flash(request, f"Test event {delivery.event_id} queued: its delivery appears below.", "success")
    return redirect(f"/admin/webhooks/{endpoint_id}")


async def retry_delivery(request: Request) -> Response:
    admin = require_admin(request)
    delivery_id = path_int(request, "delivery_id")
    store = _store(request)
    try:
        delivery = await store.retry_now(delivery_id)
    except Conflict as exc:
        current = await store.delivery(delivery_id)
        flash(request, exc.message, "warning")
        return redirect(f"/admin/webhooks/{current.endpoint_id}")
    await wake(services_of(request))
    log.info(
        "webhook.retry_by_admin",
        delivery_id=delivery_id,
        endpoint_id=delivery.endpoint_id,
        admin_id=admin.id,
    )
    flash(request, f"Delivery {delivery_id} will be sent again now.", "success")
    return redirect(f"/admin/webhooks/{delivery.endpoint_id}")


ROUTES: list[BaseRoute] = [
    Route("/admin/webhooks", endpoint_list),
    Route("/admin/webhooks", create_endpoint, methods=["POST"]),
    Route("/admin/webhooks/{endpoint_id:int}", endpoint_page),
    Route("/admin/webhooks/{endpoint_id:int}/events", update_events, methods=["POST"]),
    Route("/admin/webhooks/{endpoint_id:int}/active", set_active, methods=["POST"]),
    Route("/admin/webhooks/{endpoint_id:int}/delete", delete_endpoint, methods=["POST"]),
    Route("/admin/webhooks/{endpoint_id:int}/test", send_test, methods=["POST"]),
    Route("/admin/webhooks/deliveries/{delivery_id:int}/retry", retry_delivery, methods=["POST"]),
]
