"""Date ranges from report and transcript forms: ISO or US dates, blank ends, a reversed
range refused with a message that says what to do; reporting periods by year or dates."""

from __future__ import annotations

from datetime import date

import pytest

from courses.date_ranges import DateRange, parse_period, parse_range
from courses.errors import InvalidInput

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("", "", DateRange()),
        ("2026-01-01", "", DateRange(date(2026, 1, 1), None)),
        ("", " 2026-12-31 ", DateRange(None, date(2026, 12, 31))),
        ("12/01/2026", "12/31/2026", DateRange(date(2026, 12, 1), date(2026, 12, 31))),
        ("2026-03-05", "2026-03-05", DateRange(date(2026, 3, 5), date(2026, 3, 5))),
    ],
)
def test_ranges_that_are_read(since: str, until: str, expected: DateRange) -> None:
    assert parse_range(since, until) == expected


@pytest.mark.parametrize(
    ("since", "until", "field", "message"),
    [
        (
            "2026-12-31",
            "2026-01-01",
            "to",
            "The end date (2026-01-01) is before the start date (2026-12-31); swap them, or "
            "choose a later end date.",
        ),
        (
            "2026-02-30",
            "",
            "from",
            "“2026-02-30” is not a date; give the start date like 2026-01-31.",
        ),
        ("", "next week", "to", "“next week” is not a date; give the end date like 2026-01-31."),
        ("1926-01-01", "", "from", "The start date 1926-01-01 is before 2000; check the year."),
        (
            "2026-01-01" * 5,
            "",
            "from",
            "The start date is too long to be a date; use the form 2026-01-31.",
        ),
    ],
)
def test_bad_ranges_are_refused_with_a_message(
    since: str, until: str, field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_range(since, until)
    assert caught.value.errors == {field: message}
    assert caught.value.message == message


def test_contains_is_inclusive_and_open_ends_are_open() -> None:
    october = DateRange(date(2026, 10, 1), date(2026, 10, 31))
    assert october.contains(date(2026, 10, 1)) and october.contains(date(2026, 10, 31))
    assert not october.contains(date(2026, 9, 30)) and not october.contains(date(2026, 11, 1))
    assert DateRange().contains(date(2001, 1, 1))
    assert DateRange(None, date(2026, 1, 1)).contains(date(2020, 5, 5))


def test_labels_and_query() -> None:
    assert DateRange().label == "All dates" and DateRange().query() == ""
    both = DateRange(date(2026, 1, 1), date(2026, 12, 31))
    assert both.label == "1 Jan 2026 to 31 Dec 2026"
    assert both.query() == "from=2026-01-01&to=2026-12-31"
    assert DateRange(date(2026, 3, 9), None).label == "From 9 Mar 2026"
    assert DateRange(None, date(2026, 3, 9)).label == "Until 9 Mar 2026"


@pytest.mark.parametrize(
    ("year", "since", "until", "expected"),
    [
        ("", "", "", DateRange(date(2026, 1, 1), date(2026, 12, 31))),
        ("2025", "", "", DateRange(date(2025, 1, 1), date(2025, 12, 31))),
        ("2027", "", "", DateRange(date(2027, 1, 1), date(2027, 12, 31))),
        ("", "2026-07-01", "2026-09-30", DateRange(date(2026, 7, 1), date(2026, 9, 30))),
    ],
)
def test_reporting_periods(year: str, since: str, until: str, expected: DateRange) -> None:
    assert parse_period(year, since, until, TODAY) == expected


@pytest.mark.parametrize(
    ("year", "since", "until", "errors"),
    [
        ("2026", "2026-01-01", "", {"year": "Give a year or a date range, not both."}),
        ("26", "", "", {"year": "The year is a 4-digit year from 2000 to 2027."}),
        ("2028", "", "", {"year": "The year is a 4-digit year from 2000 to 2027."}),
        (
            "\uff12\uff10\uff12\uff16",
            "",
            "",
            {"year": "The year is a 4-digit year from 2000 to 2027."},
        ),
        ("", "2026-01-01", "", {"to": "Give the last day of the period too, or choose a year."}),
        ("", "", "2026-01-01", {"from": "Give the first day of the period too, or choose a year."}),
        (
            "",
            "2026-05-01",
            "2026-04-01",
            {
                "to": "The end date (2026-04-01) is before the start date (2026-05-01); swap them, "
                "or choose a later end date."
            },
        ),
    ],
)
def test_bad_periods(year: str, since: str, until: str, errors: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period(year, since, until, TODAY)
    assert caught.value.errors == errors
