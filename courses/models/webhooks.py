"""Webhooks: the URLs administrators register to receive signed JSON events, and one
delivery row per event and endpoint (the delivery queue and its log at once)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class DeliveryState(StrEnum):
    PENDING = "pending"
    """Waiting for its first attempt, or for a retry at ``next_attempt_at``."""
    SENDING = "sending"
    """A process is posting it now (until ``locked_until``: then it is taken up again)."""
    SUCCEEDED = "succeeded"
    """The endpoint answered 2xx."""
    FAILED = "failed"
    """Every attempt failed; an administrator may retry it."""


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives the events it subscribes to, signed with its own secret.

    The secret is stored as issued (``whsec_`` + base64 of 32 random bytes, the Standard
    Webhooks form): signing needs it in the clear, and administrators read it on the
    endpoint's page to configure the receiver."""

    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    secret: str = Field(max_length=100)
    event_types: str = Field(default="", max_length=500)
    """Space-separated event types (``participant.joined recording.ready``)."""
    active: bool = Field(default=True)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def subscribed(self) -> list[str]:
        return self.event_types.split()


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: its payload, and how its attempts went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoints.id", index=True, ondelete="CASCADE")
    event_id: str = Field(max_length=64, index=True)
    """The ``webhook-id`` header: the same for every attempt, so receivers can deduplicate."""
    event_type: str = Field(max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    """The exact JSON body that is signed and posted."""
    state: str = Field(max_length=16)
    attempts: int = Field(default=0)
    last_status: int | None = Field(default=None)
    """The HTTP status of the last answer; None when there was none (timeout, refused)."""
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
