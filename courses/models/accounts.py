"""People and the organisation they belong to."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, text
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class Role(StrEnum):
    LEARNER = "learner"
    FACULTY = "faculty"
    ADMIN = "admin"


class Degree(StrEnum):
    """The learner's profession; it decides which credit types apply to them."""

    MD = "MD"
    DO = "DO"
    RN = "RN"
    NP = "NP"
    PA = "PA"
    PHARMD = "PharmD"
    SW = "SW"
    OTHER = "other"


class Organization(SQLModel, table=True):
    """The accredited provider running this Rounds installation (one row)."""

    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    signup_enabled: bool = Field(default=True)
    # Identifiers of the accredited provider, for reports: ACCME's PARS provider id and the
    # 4-digit ACPE provider number that every UAN starts with.
    accme_provider_id: str = Field(
        default="", max_length=20, sa_column_kwargs={"server_default": text("''")}
    )
    acpe_provider_number: str = Field(
        default="", max_length=4, sa_column_kwargs={"server_default": text("''")}
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(320), unique=True, nullable=False, index=True))
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.LEARNER.value, max_length=16)
    is_active: bool = Field(default=True)
    display_name: str = Field(max_length=120)
    degree: str | None = Field(default=None, max_length=16)
    license_state: str | None = Field(default=None, max_length=2)
    license_number: str | None = Field(default=None, max_length=30)
    npi: str | None = Field(default=None, max_length=10)
    nabp_eprofile_id: str | None = Field(default=None, max_length=7)
    birth_month: int | None = Field(default=None)
    birth_day: int | None = Field(default=None)
    # Reminder mail a day and 15 minutes before live sessions and meetings; the user's switch.
    reminders_enabled: bool = Field(
        default=True, sa_column_kwargs={"server_default": text("true")}
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_teach(self) -> bool:
        return self.role in (Role.FACULTY, Role.ADMIN)


class PasswordResetToken(SQLModel, table=True):
    """A single-use reset token; only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
