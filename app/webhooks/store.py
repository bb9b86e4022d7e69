"""The webhook rows: endpoints as administrators keep them, and deliveries as the dispatcher
moves them. Each delivery change is one conditional UPDATE (compare-and-set on its state), so
two processes never send the same attempt and a late answer never moves a row backwards."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, delete, func
from sqlmodel import col, select, update

from app.db import Database
from app.webhooks.signing import new_secret
from courses.clock import Clock
from courses.errors import Conflict, InvalidInput, NotFound
from courses.models.types import MAX_ID
from courses.models.webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint

R = TypeVar("R", WebhookEndpoint, WebhookDelivery)

URL_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 200
LOG_LIMIT = 100


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


class DeliveryNotRetryable(Conflict):
    code = "webhook_delivery_not_retryable"


def check_url(url: str) -> str:
    """The endpoint URL, trimmed; InvalidInput with a reason a person can act on."""
    url = url.strip()
    if not url:
        raise InvalidInput({"url": "Enter the URL that receives the events."})
    if len(url) > URL_MAX_LENGTH:
        raise InvalidInput({"url": f"Use at most {URL_MAX_LENGTH} characters."})
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidInput({"url": "A URL has no spaces or control characters."})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput({"url": "This is not a valid URL (check the port)."}) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput({"url": "Use an http:// or https:// URL."})
    if not parts.hostname:
        raise InvalidInput({"url": "The URL needs a host name, like https://hooks.example.org/."})
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            {
                "url": "Leave credentials out of the URL: every request is signed "
                "with the endpoint's secret instead."
            }
        )
    if parts.fragment:
        raise InvalidInput({"url": "Leave out the #fragment: it is never sent."})
    if port == 0:
        raise InvalidInput({"url": "Port 0 cannot receive requests."})
    return url


def check_event_types(chosen: Iterable[str], known: Iterable[str]) -> str:
    """The chosen event types as the column keeps them; InvalidInput if none or unknown."""
    known_set = set(known)
    picked = sorted({c.strip() for c in chosen if c.strip()})
    unknown = [c for c in picked if c not in known_set]
    if unknown:
        raise InvalidInput({"events": f"Unknown event type {unknown[0][:64]!r}."})
    if not picked:
        raise InvalidInput({"events": "Choose at least one event to receive."})
    return " ".join(picked)


class WebhookStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # -- endpoints ---------------------------------------------------------------------------
    async def create_endpoint(
        self, *, url: str, description: str, event_types: str, created_by: int | None
    ) -> WebhookEndpoint:
        """``url`` and ``event_types`` already checked (``check_url``, ``check_event_types``)."""
        now = self.clock.now()
        endpoint = WebhookEndpoint(
            url=url,
            description=description[:DESCRIPTION_MAX_LENGTH],
            secret=new_secret(),
            event_types=event_types,
            active=True,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        async with self.db.session() as session:
            session.add(endpoint)
            await session.flush()
            await session.refresh(endpoint)
        return endpoint

    async def endpoints(self) -> list[WebhookEndpoint]:
        async with self.db.session() as session:
            stmt = select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))
            return list((await session.exec(stmt)).all())

    async def _row(self, model: type[R], row_id: int) -> R | None:
        """The row with this id, freshly read; None for no such row (or an impossible id)."""
        if not 0 < row_id <= MAX_ID:
            return None
        async with self.db.session() as session:
            return await session.get(model, row_id, populate_existing=True)

    async def endpoint(self, endpoint_id: int) -> WebhookEndpoint:
        found = await self._row(WebhookEndpoint, endpoint_id)
        if found is None:
            raise WebhookNotFound(f"There is no webhook endpoint with id {endpoint_id}.")
        return found

    async def update_endpoint(self, endpoint_id: int, **values: Any) -> WebhookEndpoint:
        stmt = (
            update(WebhookEndpoint)
            .where(col(WebhookEndpoint.id) == endpoint_id)
            .values(**values, updated_at=self.clock.now())
        )
        async with self.db.session() as session:
            if (await session.exec(stmt)).rowcount != 1:
                raise WebhookNotFound(f"There is no webhook endpoint with id {endpoint_id}.")
        return await self.endpoint(endpoint_id)

    async def delete_endpoint(self, endpoint_id: int) -> None:
        """The endpoint and its delivery log."""
        async with self.db.session() as session:
            await session.exec(
                delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
            )
            result = await session.exec(
                delete(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id)
            )
            if result.rowcount != 1:
                raise WebhookNotFound(f"There is no webhook endpoint with id {endpoint_id}.")

    async def subscribers(self, event_type: str) -> list[WebhookEndpoint]:
        """Active endpoints that receive ``event_type``."""
        return [e for e in await self.endpoints() if e.active and event_type in e.subscribed]

    # -- deliveries ---------------------------------------------------------------------------
    async def add_deliveries(
        self, endpoints: Iterable[WebhookEndpoint], *, event_id: str, event_type: str, payload: str
    ) -> list[WebhookDelivery]:
        now = self.clock.now()
        rows = [
            WebhookDelivery(
                endpoint_id=e.id or 0,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                state=DeliveryState.PENDING,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
            for e in endpoints
        ]
        if not rows:
            return []
        async with self.db.session() as session:
            session.add_all(rows)
            await session.flush()
            for row in rows:
                await session.refresh(row)
        return rows

    async def deliveries(self, endpoint_id: int, limit: int = LOG_LIMIT) -> list[WebhookDelivery]:
        """The endpoint's newest deliveries first."""
        stmt = (
            select(WebhookDelivery)
            .where(col(WebhookDelivery.endpoint_id) == endpoint_id)
            .order_by(col(WebhookDelivery.id).desc())
            .limit(limit)
        )
        async with self.db.session() as session:
            return list((await session.exec(stmt)).all())

    async def delivery(self, delivery_id: int) -> WebhookDelivery:
        found = await self._row(WebhookDelivery, delivery_id)
        if found is None:
            raise DeliveryNotFound(f"There is no webhook delivery with id {delivery_id}.")
        return found

    def _due(self, now: datetime) -> ColumnElement[bool]:
        waiting = (col(WebhookDelivery.state) == DeliveryState.PENDING) & (
            col(WebhookDelivery.next_attempt_at) <= now
        )
        abandoned = (col(WebhookDelivery.state) == DeliveryState.SENDING) & (
            col(WebhookDelivery.locked_until) <= now
        )
        return waiting | abandoned

    async def claim_due(self, limit: int, lease: timedelta) -> list[WebhookDelivery]:
        """Take up to ``limit`` due deliveries (oldest first) for one attempt each: SENDING
        until ``now + lease``, one more attempt counted. A delivery whose process died while
        sending is due again when its lease ends."""
        now = self.clock.now()
        stmt = (
            select(WebhookDelivery.id, WebhookDelivery.state, WebhookDelivery.attempts)
            .where(self._due(now))
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(limit)
        )
        async with self.db.session() as session:
            candidates = list((await session.exec(stmt)).all())
        claimed: list[WebhookDelivery] = []
        for delivery_id, state, attempts in candidates:
            assert delivery_id is not None
            row = await self._set(
                delivery_id,
                [col(WebhookDelivery.state) == state, col(WebhookDelivery.attempts) == attempts],
                {
                    "state": DeliveryState.SENDING,
                    "attempts": attempts + 1,
                    "locked_until": now + lease,
                },
            )
            if row is not None:
                claimed.append(row)
        return claimed

    async def next_due(self) -> datetime | None:
        """When the earliest waiting (or abandoned) delivery becomes due."""
        pending = select(func.min(WebhookDelivery.next_attempt_at)).where(
            col(WebhookDelivery.state) == DeliveryState.PENDING
        )
        sending = select(func.min(WebhookDelivery.locked_until)).where(
            col(WebhookDelivery.state) == DeliveryState.SENDING
        )
        async with self.db.session() as session:
            times = [(await session.exec(pending)).one(), (await session.exec(sending)).one()]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    async def _set(
        self, delivery_id: int, where: Iterable[ColumnElement[bool]], values: dict[str, Any]
    ) -> WebhookDelivery | None:
        stmt = (
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id, *where)
            .values(**values, updated_at=self.clock.now())
        )
        async with self.db.session() as session:
            if (await session.exec(stmt)).rowcount != 1:
                return None
            return await session.get(WebhookDelivery, delivery_id, populate_existing=True)

    def _mine(self, attempt: int) -> list[ColumnElement[bool]]:
        """The row is still in the attempt this process claimed."""
        return [
            col(WebhookDelivery.state) == DeliveryState.SENDING,
            col(WebhookDelivery.attempts) == attempt,
        ]

    async def succeed(self, delivery_id: int, attempt: int, status: int) -> WebhookDelivery | None:
        now = self.clock.now()
        return await self._set(
            delivery_id,
            self._mine(attempt),
            {
                "state": DeliveryState.SUCCEEDED,
                "last_status": status,
                "last_error": "",
                "delivered_at": now,
                "next_attempt_at": None,
                "locked_until": None,
            },
        )

    async def fail_attempt(
        self,
        delivery_id: int,
        attempt: int,
        *,
        status: int | None,
        error: str,
        retry_at: datetime | None,
    ) -> WebhookDelivery | None:
        """Record a failed attempt: PENDING until ``retry_at``, or FAILED when None."""
        state = DeliveryState.PENDING if retry_at is not None else DeliveryState.FAILED
        return await self._set(
            delivery_id,
            self._mine(attempt),
            {
                "state": state,
                "last_status": status,
                "last_error": error,
                "next_attempt_at": retry_at,
                "locked_until": None,
            },
        )

    async def retry_now(self, delivery_id: int) -> WebhookDelivery:
        """A failed delivery gets a fresh round of attempts; a waiting one is due at once."""
        now = self.clock.now()
        failed = await self._set(
            delivery_id,
            [col(WebhookDelivery.state) == DeliveryState.FAILED],
            {"state": DeliveryState.PENDING, "attempts": 0, "next_attempt_at": now},
        )
        if failed is not None:
            return failed
        waiting = await self._set(
            delivery_id,
            [col(WebhookDelivery.state) == DeliveryState.PENDING],
            {"next_attempt_at": now},
        )
        if waiting is not None:
            return waiting
        current = await self.delivery(delivery_id)
        raise DeliveryNotRetryable(
            f"Delivery {delivery_id} is {current.state}: only a failed or waiting delivery "
            "can be sent again now."
        )
