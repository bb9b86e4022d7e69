"""Credit claimed and certificates issued: records kept at least six years (AMA, ACCME).

Rows are never updated or deleted (``courses.claims`` enforces it on the session); a
correction is a new row whose ``supersedes_id`` names the row it replaces. Foreign keys
restrict, so neither the learner nor the activity can be deleted while records exist."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Date, String, Text
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import DecimalText, UTCDateTime


class CreditClaim(SQLModel, table=True):
    """A learner's claim of one credit type for one activity, up to what they earned."""

    __tablename__ = "credit_claims"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="RESTRICT")
    activity_id: int = Field(foreign_key="activities.id", index=True, ondelete="RESTRICT")
    credit_type: str = Field(max_length=16)
    credits: Decimal = Field(sa_column=Column(DecimalText(), nullable=False))
    ceus: Decimal | None = Field(default=None, sa_column=Column(DecimalText()))
    # What the rules said was earned when claimed, and why (for the audit and the report).
    earned: Decimal = Field(sa_column=Column(DecimalText(), nullable=False))
    basis: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The live session's date (in its zone), or the day an on-demand activity was completed.
    completed_on: date = Field(sa_column=Column(Date(), nullable=False))
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # A correction: the claim replaced, who made it and why.
    supersedes_id: int | None = Field(
        default=None, foreign_key="credit_claims.id", unique=True, ondelete="RESTRICT"
    )
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Certificate(SQLModel, table=True):
    """A certificate as issued: everything printed on it is copied here, so the PDF made from
    this row is the same in six years whatever is edited meanwhile.

    A reissue (a name correction) is a new row with the same ``code``; the verification page
    shows the newest row of a code."""

    __tablename__ = "certificates"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(20), nullable=False, index=True))
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="RESTRICT")
    activity_id: int = Field(foreign_key="activities.id", index=True, ondelete="RESTRICT")
    learner_name: str = Field(max_length=120)
    activity_title: str = Field(max_length=200)
    course_title: str = Field(max_length=200)
    activity_format: str = Field(max_length=40)  # "Live activity", "Enduring material"
    activity_dates: str = Field(max_length=100)  # as printed, in the activity's zone
    completed_on: date = Field(sa_column=Column(Date(), nullable=False))
    location: str = Field(default="", max_length=200)
    # [{"credit_type", "label", "unit", "credits", "ceus"}], credits as decimal text.
    credits_json: str = Field(sa_column=Column(Text, nullable=False))
    # The accreditation and designation statements, as printed, in order.
    statements_json: str = Field(sa_column=Column(Text, nullable=False))
    provider_name: str = Field(max_length=200)
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    supersedes_id: int | None = Field(
        default=None, foreign_key="certificates.id", unique=True, ondelete="RESTRICT"
    )
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
