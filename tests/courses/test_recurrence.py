"""Recurrence in the meeting's own zone: wall-clock times kept across DST, monthly skips."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses.recurrence import (
    MAX_COUNT,
    Frequency,
    Rule,
    local_starts,
    occurrences,
    until_instant,
    upcoming,
)

NY = "America/New_York"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_a_meeting_that_does_not_repeat_happens_once() -> None:
    found = occurrences(utc(2026, 12, 7, 14), utc(2026, 12, 7, 15), NY, Rule())
    assert [(o.starts_at, o.ends_at) for o in found] == [
        (utc(2026, 12, 7, 14), utc(2026, 12, 7, 15))
    ]


def test_weekly_stays_at_nine_in_new_york_across_the_spring_change() -> None:
    # 09:00 EST is 14:00 UTC; from 14 March 2027 09:00 EDT is 13:00 UTC.
    rule = Rule(Frequency.WEEKLY, count=16)
    found = occurrences(utc(2027, 1, 4, 14), utc(2027, 1, 4, 15), NY, rule)
    assert len(found) == 16
    local = [o.starts_at.astimezone(ZoneInfo(NY)) for o in found]
    assert {(t.hour, t.minute) for t in local} == {(9, 0)}
    assert {t.weekday() for t in local} == {0}
    assert found[9].starts_at == utc(2027, 3, 8, 14)  # last Monday in EST
    assert found[10].starts_at == utc(2027, 3, 15, 13)  # first in EDT
    assert all(o.ends_at - o.starts_at == timedelta(hours=1) for o in found)


def test_weekly_until_is_inclusive_in_the_meetings_zone() -> None:
    # Mondays from 7 Dec 2026 up to and including Monday 28 Dec.
    rule = Rule(Frequency.WEEKLY, until=date(2026, 12, 28))
    found = occurrences(utc(2026, 12, 7, 14), utc(2026, 12, 7, 15), NY, rule)
    assert [o.starts_at.astimezone(ZoneInfo(NY)).day for o in found] == [7, 14, 21, 28]


def test_monthly_on_the_31st_skips_the_shorter_months_and_does_not_count_them() -> None:
    first = datetime(2027, 1, 31, 9, 0, tzinfo=ZoneInfo(NY)).astimezone(UTC)
    found = occurrences(first, first + timedelta(hours=1), NY, Rule(Frequency.MONTHLY, count=4))
    days = [o.starts_at.astimezone(ZoneInfo(NY)).date() for o in found]
    assert days == [date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31), date(2027, 7, 31)]
    assert {o.starts_at.astimezone(ZoneInfo(NY)).hour for o in found} == {9}


def test_monthly_until() -> None:
    first = datetime(2027, 1, 15, 16, 30, tzinfo=ZoneInfo(NY)).astimezone(UTC)
    rule = Rule(Frequency.MONTHLY, until=date(2027, 4, 15))
    found = occurrences(first, first + timedelta(minutes=45), NY, rule)
    assert [o.starts_at.astimezone(ZoneInfo(NY)).month for o in found] == [1, 2, 3, 4]


def test_upcoming_leaves_out_what_is_over_and_keeps_one_in_progress() -> None:
    rule = Rule(Frequency.WEEKLY, count=3)
    start, end = utc(2026, 12, 7, 14), utc(2026, 12, 7, 15)
    during_second = utc(2026, 12, 14, 14, 30)
    found = upcoming(start, end, NY, rule, during_second, limit=5)
    assert [o.starts_at for o in found] == [utc(2026, 12, 14, 14), utc(2026, 12, 21, 14)]
    assert upcoming(start, end, NY, rule, utc(2026, 12, 21, 15), limit=5) == []
    assert len(upcoming(start, end, NY, rule, start, limit=1)) == 1


def test_until_instant_is_the_end_of_that_day_in_the_zone() -> None:
    assert until_instant(date(2027, 4, 1), NY) == utc(2027, 4, 2, 3, 59, 59)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frequency": Frequency.WEEKLY},
        {"frequency": Frequency.WEEKLY, "count": 2, "until": date(2027, 1, 1)},
        {"frequency": Frequency.WEEKLY, "count": 0},
        {"frequency": Frequency.MONTHLY, "count": MAX_COUNT + 1},
        {"frequency": Frequency.NONE, "count": 2},
    ],
)
def test_impossible_rules_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Rule(**kwargs)  # type: ignore[arg-type]


def test_local_starts_wants_a_wall_clock_time() -> None:
    with pytest.raises(ValueError):
        list(local_starts(utc(2026, 12, 7, 14), Rule()))


ZONES = st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney", "UTC"])


@given(
    zone=ZONES,
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    hour=st.integers(min_value=6, max_value=20),
    count=st.integers(min_value=1, max_value=MAX_COUNT),
    frequency=st.sampled_from([Frequency.WEEKLY, Frequency.MONTHLY]),
)
def test_every_occurrence_keeps_the_wall_clock_time_and_the_count(
    zone: str, day: date, hour: int, count: int, frequency: Frequency
) -> None:
    first = datetime(day.year, day.month, day.day, hour, 15, tzinfo=ZoneInfo(zone))
    found = occurrences(
        first.astimezone(UTC),
        first.astimezone(UTC) + timedelta(minutes=50),
        zone,
        Rule(frequency, count=count),
    )
    assert len(found) == count
    local = [o.starts_at.astimezone(ZoneInfo(zone)) for o in found]
    # 06:00 to 20:00 never falls in a DST gap in these zones
    assert {(t.hour, t.minute) for t in local} == {(hour, 15)}
    assert all(a.starts_at < b.starts_at for a, b in itertools.pairwise(found))
    if frequency is Frequency.WEEKLY:
        assert {t.weekday() for t in local} == {first.weekday()}
    else:
        assert {t.day for t in local} == {day.day}
