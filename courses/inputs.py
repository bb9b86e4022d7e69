"""What an admin or faculty member may submit for a course or an activity."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from courses.models import ActivityKind
from courses.validation import FieldProblem

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9+\-]{0,39}$")
MAX_TAGS = 12
MAX_LIVE_HOURS = 24


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].strip("-") or "course"


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _checkbox(value: object) -> object:
    # HTML forms send "on" for a ticked box and nothing for an empty one.
    if isinstance(value, str) and value.strip().lower() in ("on", "yes", "1", "true"):
        return True
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off", "no")):
        return False
    return value


class CourseInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=80)
    summary: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=20_000)
    tags: list[str] = Field(default_factory=list)
    published: bool = False
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    faculty_ids: list[int] = Field(default_factory=list)

    @field_validator("slug", "capacity", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return _blank_to_none(value)

    @field_validator("published", mode="before")
    @classmethod
    def _published(cls, value: object) -> object:
        return _checkbox(value)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not _SLUG.fullmatch(value):
            raise ValueError(
                "Use lower-case letters, digits and single dashes, like cardiology-101."
            )
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _split_tags(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in (p.strip() for p in value.split(",")) if part]
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        tags: list[str] = []
        for raw in value:
            tag = re.sub(r"\s+", "-", raw.strip().lower())
            if not _TAG.fullmatch(tag):
                raise ValueError(
                    f"Tag {raw!r}: use up to 40 lower-case letters, digits, '-' or '+'."
                )
            if tag not in tags:
                tags.append(tag)
        if len(tags) > MAX_TAGS:
            raise ValueError(f"Use at most {MAX_TAGS} tags.")
        return tags

    @field_validator("faculty_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str | int):
            value = [value]
        if isinstance(value, list):
            return [v for v in value if not (isinstance(v, str) and not v.strip())]
        return value

    def slug_or_default(self) -> str:
        return self.slug or slugify(self.title)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
        raise ValueError(
            "Use an IANA time zone name, like America/New_York or Europe/London."
        ) from None


class ActivityInput(BaseModel):
    """A live session needs start, end and zone; an on-demand item needs its length."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: ActivityKind
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    timezone: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = Field(default=None, ge=1, le=10_000)
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    auto_record: bool = False
    """Live sessions: record from the moment the room opens."""

    @field_validator(
        "timezone", "starts_at", "ends_at", "capacity", "duration_minutes", mode="before"
    )
    @classmethod
    def _blank(cls, value: object) -> object:
        return _blank_to_none(value)

    @field_validator("auto_record", mode="before")
    @classmethod
    def _auto_record(cls, value: object) -> object:
        return _checkbox(value)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in ("on-demand", "ondemand"):
            return ActivityKind.ON_DEMAND
        if isinstance(value, str) and value.strip().lower() in ("live", "on_demand"):
            return value.strip().lower()
        raise ValueError("Choose 'live' for a live session or 'on_demand' for a recorded item.")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None:
            _zone(value)
            if value not in available_timezones() and value != "UTC":
                raise ValueError("Use an IANA time zone name, like America/New_York.")
        return value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _localise(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        # Naive times are wall-clock times in the activity's zone; aware ones are kept.
        try:
            if value is None or value.tzinfo is not None:
                return value.astimezone(UTC) if value is not None else None
            zone_name = info.data.get("timezone")
            if not zone_name:
                return value  # reported by the model check below
            return value.replace(tzinfo=_zone(zone_name)).astimezone(UTC)
        except OverflowError:  # within a day of year 1 or 9999, UTC falls off the calendar
            raise ValueError("Enter a date and time between the years 2 and 9998.") from None

    @model_validator(mode="after")
    def _by_kind(self) -> ActivityInput:
        if self.kind is ActivityKind.LIVE:
            if self.timezone is None:
                raise FieldProblem("timezone", "A live session needs a time zone.")
            if self.starts_at is None:
                raise FieldProblem("starts_at", "A live session needs a start date and time.")
            if self.ends_at is None:
                raise FieldProblem("ends_at", "A live session needs an end date and time.")
            if self.ends_at <= self.starts_at:
                raise FieldProblem("ends_at", "The session must end after it starts.")
            if self.ends_at - self.starts_at > timedelta(hours=MAX_LIVE_HOURS):
                raise FieldProblem(
                    "ends_at", f"A live session lasts at most {MAX_LIVE_HOURS} hours."
                )
            self.duration_minutes = None
        else:
            if self.duration_minutes is None:
                raise FieldProblem(
                    "duration_minutes", "An on-demand item needs its length in minutes."
                )
            self.starts_at = self.ends_at = None
            self.capacity = None
            self.auto_record = False
        return self
