"""What an activity is accredited for, decided before it runs: the provider's statements,
each activity's credit designations, the breaks inside a live session, and the disclosures of
everyone in control of content (see ``courses.accreditation``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import DecimalText, UTCDateTime


class ProviderStatement(SQLModel, table=True):
    """The provider's accreditation statement for one credit type, printed on certificates.

    Under Joint Accreditation the same statement may be written for every type."""

    __tablename__ = "provider_statements"

    credit_type: str = Field(primary_key=True, max_length=16)
    statement: str = Field(sa_column=Column(Text, nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CreditDesignation(SQLModel, table=True):
    """One credit type an activity is designated for, and its maximum, in the rule's unit.

    Locked once the activity starts (``courses.accreditation.is_locked``)."""

    __tablename__ = "credit_designations"
    __table_args__ = (
        UniqueConstraint(
            "activity_id", "credit_type", name="uq_credit_designations_activity_id_credit_type"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True, ondelete="CASCADE")
    credit_type: str = Field(max_length=16)
    maximum: Decimal = Field(sa_column=Column(DecimalText(), nullable=False))
    # None: the rule's default (ASWB and APA require full attendance).
    full_attendance: bool | None = Field(default=None)
    tolerance_minutes: int = Field(default=0)
    # ACPE only: the activity's Universal Activity Number, like 0000-0000-26-001-L01-P.
    uan: str = Field(default="", max_length=24)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ActivityBreak(SQLModel, table=True):
    """A break inside a live session: its minutes earn no credit."""

    __tablename__ = "activity_breaks"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True, ondelete="CASCADE")
    title: str = Field(default="Break", max_length=120)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Disclosure(SQLModel, table=True):
    """One person in control of an activity's content and their financial relationships with
    ineligible companies (ACCME Standards for Integrity and Independence), shown to learners
    before the activity starts.

    ``relationships`` "" means none; any relationship needs its ``mitigation`` written down."""

    __tablename__ = "disclosures"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    name: str = Field(max_length=120)
    role: str = Field(max_length=32)  # faculty, planner, reviewer, moderator
    relationships: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    mitigation: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
