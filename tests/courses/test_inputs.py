"""What admins and faculty may submit for courses and activities (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from courses.errors import InvalidInput
from courses.inputs import MAX_TAGS, ActivityInput, CourseInput, slugify
from courses.models import ActivityKind
from courses.validation import parse


def course(**fields: Any) -> CourseInput:
    return parse(CourseInput, {"title": "Heart Failure 2026", **fields})


def course_problems(**fields: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse(CourseInput, {"title": "Heart Failure 2026", **fields})
    return caught.value.errors


LIVE = {"kind": "live", "title": "Grand rounds", "timezone": "America/New_York",
        "starts_at": "2026-12-10T09:00", "ends_at": "2026-12-10T10:30"}
ON_DEMAND = {"kind": "on_demand", "title": "Recording", "duration_minutes": "45"}


def activity(base: dict[str, Any], **fields: Any) -> ActivityInput:
    return parse(ActivityInput, {**base, **fields})


def activity_problems(base: dict[str, Any], **fields: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse(ActivityInput, {**base, **fields})
    return caught.value.errors


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- courses ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "slug"),
    [("Heart Failure 2026", "heart-failure-2026"), ("  ECMO: The Basics!  ", "ecmo-the-basics"),
     ("Café & Crème", "caf-cr-me"), ("!!!", "course"), ("a" * 100, "a" * 80)],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_slug_defaults_to_the_title() -> None:
    assert course().slug_or_default() == "heart-failure-2026"
    assert course(slug="").slug_or_default() == "heart-failure-2026"
    assert course(slug="hf-26").slug_or_default() == "hf-26"


@pytest.mark.parametrize("slug", ["Bad Slug", "UPPER", "double--dash", "-lead", "trail-", "ü"])
def test_bad_slugs(slug: str) -> None:
    assert course_problems(slug=slug) == {
        "slug": "Use lower-case letters, digits and single dashes, like cardiology-101."
    }


def test_title_is_required_and_trimmed() -> None:
    assert course(title="  Sepsis  ").title == "Sepsis"
    assert course_problems(title="   ") == {"title": "This field is required."}
    assert course_problems(title="x" * 201) == {"title": "Use at most 200 characters."}


def test_tags_from_a_comma_separated_field() -> None:
    assert course(tags="Cardiology, heart failure,cardiology, ,ECMO+").tags == [
        "cardiology", "heart-failure", "ecmo+"
    ]
    assert course(tags=["  Nursing ", "nursing"]).tags == ["nursing"]
    assert course(tags="").tags == []


def test_bad_tags() -> None:
    assert course_problems(tags="ok, bad_tag") == {
        "tags": "Tag 'bad_tag': use up to 40 lower-case letters, digits, '-' or '+'."
    }
    assert "tags" in course_problems(tags="-leading")
    assert "tags" in course_problems(tags="x" * 41)
    many = ",".join(f"tag{i}" for i in range(MAX_TAGS + 1))
    assert course_problems(tags=many) == {"tags": f"Use at most {MAX_TAGS} tags."}
    assert len(course(tags=",".join(f"tag{i}" for i in range(MAX_TAGS))).tags) == MAX_TAGS


@pytest.mark.parametrize(
    ("given", "published"),
    [("on", True), ("yes", True), ("1", True), ("true", True), (True, True),
     ("", False), ("off", False), ("no", False), (None, False), (False, False)],
)
def test_published_checkbox(given: object, published: bool) -> None:
    assert course(published=given).published is published


def test_capacity() -> None:
    assert course(capacity="").capacity is None
    assert course(capacity=None).capacity is None
    assert course(capacity=" 25 ").capacity == 25
    assert course_problems(capacity="0") == {"capacity": "Enter a number of at least 1."}
    assert course_problems(capacity="100001") == {"capacity": "Enter a number of at most 100000."}
    assert course_problems(capacity="ten") == {"capacity": "Enter a whole number."}


def test_faculty_ids_from_a_form() -> None:
    assert course(faculty_ids="3").faculty_ids == [3]
    assert course(faculty_ids=7).faculty_ids == [7]
    assert course(faculty_ids=["1", "", "2"]).faculty_ids == [1, 2]
    assert course_problems(faculty_ids=["x"]) == {"faculty_ids": "Enter a whole number."}


def test_unknown_course_fields_are_refused() -> None:
    assert course_problems(seats_version=9) == {
        "seats_version": "This field is not accepted here."
    }


# -- live sessions ----------------------------------------------------------------------------
def test_naive_times_are_wall_clock_times_in_the_sessions_zone() -> None:
    winter = activity(LIVE)  # EST, UTC-5
    assert winter.starts_at == utc(2026, 12, 10, 14, 0)
    assert winter.ends_at == utc(2026, 12, 10, 15, 30)
    summer = activity(LIVE, starts_at="2027-07-10T09:00", ends_at="2027-07-10T10:00")  # EDT
    assert summer.starts_at == utc(2027, 7, 10, 13, 0)
    london = activity(LIVE, timezone="Europe/London", starts_at="2027-07-10T09:00",
                      ends_at="2027-07-10T10:00")
    assert london.starts_at == utc(2027, 7, 10, 8, 0)
    assert activity(LIVE, timezone="UTC").starts_at == utc(2026, 12, 10, 9, 0)


def test_times_that_name_their_offset_keep_it() -> None:
    tokyo = timezone(timedelta(hours=9))
    start = datetime(2026, 12, 11, 8, 0, tzinfo=tokyo)
    checked = activity(LIVE, starts_at=start, ends_at="2026-12-10T23:30:00Z")
    assert checked.starts_at == utc(2026, 12, 10, 23, 0)
    assert checked.starts_at is not None and checked.starts_at.tzinfo is UTC
    assert checked.ends_at == utc(2026, 12, 10, 23, 30)


def test_a_session_across_the_dst_change_is_measured_in_real_time() -> None:
    # 1 November 2026, New York falls back at 02:00: 00:30 to 02:30 local is three hours
    checked = activity(LIVE, starts_at="2026-11-01T00:30", ends_at="2026-11-01T02:30")
    assert checked.ends_at - checked.starts_at == timedelta(hours=3)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("missing", "message"),
    [("timezone", "A live session needs a time zone."),
     ("starts_at", "A live session needs a start date and time."),
     ("ends_at", "A live session needs an end date and time.")],
)
def test_live_sessions_need_zone_start_and_end(missing: str, message: str) -> None:
    assert activity_problems(LIVE, **{missing: ""}) == {missing: message}


def test_end_after_start_and_at_most_a_day() -> None:
    assert activity_problems(LIVE, ends_at="2026-12-10T09:00") == {
        "ends_at": "The session must end after it starts."
    }
    assert activity_problems(LIVE, ends_at="2026-12-10T08:00") == {
        "ends_at": "The session must end after it starts."
    }
    assert activity_problems(LIVE, ends_at="2026-12-11T09:01") == {
        "ends_at": "A live session lasts at most 24 hours."
    }
    day = activity(LIVE, ends_at="2026-12-11T09:00")
    assert day.ends_at - day.starts_at == timedelta(hours=24)  # type: ignore[operator]


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "america/new_york", "../../etc/passwd",
                                  "EST5EDT6"])
def test_time_zones_are_iana_names(zone: str) -> None:
    assert activity_problems(LIVE, timezone=zone) == {
        "timezone": "Use an IANA time zone name, like America/New_York or Europe/London."
    }


def test_unparseable_times() -> None:
    assert activity_problems(LIVE, starts_at="next tuesday") == {
        "starts_at": "Enter a date and time like 2026-12-01T09:00."
    }


def test_live_capacity_and_no_duration() -> None:
    checked = activity(LIVE, capacity="40", duration_minutes="90")
    assert (checked.capacity, checked.duration_minutes) == (40, None)
    assert activity_problems(LIVE, capacity="0") == {"capacity": "Enter a number of at least 1."}
    assert activity_problems(LIVE, capacity="10001") == {
        "capacity": "Enter a number of at most 10000."
    }


# -- on-demand items --------------------------------------------------------------------------
def test_on_demand_needs_its_length() -> None:
    assert activity(ON_DEMAND).duration_minutes == 45
    assert activity_problems(ON_DEMAND, duration_minutes="") == {
        "duration_minutes": "An on-demand item needs its length in minutes."
    }
    assert activity_problems(ON_DEMAND, duration_minutes="0") == {
        "duration_minutes": "Enter a number of at least 1."
    }
    assert activity_problems(ON_DEMAND, duration_minutes="1441") == {
        "duration_minutes": "Enter a number of at most 1440."
    }


def test_on_demand_drops_schedule_and_room_size() -> None:
    checked = activity(ON_DEMAND, starts_at="2026-12-10T09:00", ends_at="2026-12-10T10:00",
                       timezone="UTC", capacity="5")
    assert (checked.starts_at, checked.ends_at, checked.capacity) == (None, None, None)


@pytest.mark.parametrize(
    ("given", "kind"),
    [("live", ActivityKind.LIVE), (" LIVE ", ActivityKind.LIVE),
     ("on_demand", ActivityKind.ON_DEMAND), ("on-demand", ActivityKind.ON_DEMAND),
     ("OnDemand", ActivityKind.ON_DEMAND),
     (ActivityKind.ON_DEMAND, ActivityKind.ON_DEMAND)],
)
def test_kind_spellings(given: object, kind: ActivityKind) -> None:
    base = LIVE if kind is ActivityKind.LIVE else ON_DEMAND
    assert activity(base, kind=given).kind is kind


@pytest.mark.parametrize("kind", ["webinar", "", None, 1])
def test_unknown_kinds(kind: object) -> None:
    assert activity_problems(ON_DEMAND, kind=kind) == {
        "kind": "Choose 'live' for a live session or 'on_demand' for a recorded item."
    }


def test_title_and_unknown_activity_fields() -> None:
    assert activity_problems(ON_DEMAND, title="") == {"title": "This field is required."}
    assert activity_problems(ON_DEMAND, position=3) == {
        "position": "This field is not accepted here."
    }
