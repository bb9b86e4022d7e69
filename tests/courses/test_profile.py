"""The professional profile's checks: NPI, licence, NABP id, birthday, degree."""

from __future__ import annotations

from typing import Any

import pytest

from courses.errors import InvalidInput
from courses.models import Degree
from courses.profile import ProfileInput, npi_is_valid
from courses.validation import parse


def profile(**fields: Any) -> ProfileInput:
    return parse(ProfileInput, {"display_name": "Dr Grace Hopper", **fields})


def problems(**fields: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        profile(**fields)
    return caught.value.errors


# -- NPI -----------------------------------------------------------------------------------
@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1003000126"])
def test_valid_npis(npi: str) -> None:
    assert npi_is_valid(npi)


FULLWIDTH_NPI = "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff13"  # "1234567893"


@pytest.mark.parametrize(
    "npi",
    ["1234567890", "1234567894", "123456789", "12345678931", "123456789X", "", " 1234567893",
     FULLWIDTH_NPI],
)
def test_invalid_npis(npi: str) -> None:
    assert not npi_is_valid(npi)


def test_exactly_one_check_digit_fits_each_npi() -> None:
    for stem in ("123456789", "100300012", "999999999", "000000000"):
        fitting = [d for d in "0123456789" if npi_is_valid(stem + d)]
        assert len(fitting) == 1, stem
    assert [d for d in "0123456789" if npi_is_valid("123456789" + d)] == ["3"]


def test_a_transposition_breaks_the_check_digit() -> None:
    assert npi_is_valid("1234567893")
    assert not npi_is_valid("2134567893")


def test_npi_field() -> None:
    assert profile(npi=" 1234567893 ").npi == "1234567893"
    assert profile(npi="").npi is None
    assert "check digit" in problems(npi="1234567890")["npi"]


# -- licence --------------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "kept"), [("ca", "CA"), ("NY", "NY"), (" dc ", "DC"),
                                             ("pr", "PR"), ("Gu", "GU")])
def test_license_state_is_a_us_jurisdiction_code(given: str, kept: str) -> None:
    assert profile(license_state=given).license_state == kept


@pytest.mark.parametrize("state", ["XX", "C", "CAL", "UK", "1A"])
def test_unknown_license_states_are_rejected(state: str) -> None:
    assert "two-letter code" in problems(license_state=state)["license_state"]


def test_license_number() -> None:
    assert profile(license_number="A-123.45/6 7").license_number == "A-123.45/6 7"
    assert "licence number" in problems(license_number="#12345")["license_number"]
    assert "license_number" in problems(license_number="-12345")
    assert problems(license_number="A" * 31)["license_number"] == "Use at most 30 characters."


# -- NABP ----------------------------------------------------------------------------------
@pytest.mark.parametrize("nabp", ["1", "1234567"])
def test_nabp_id_of_up_to_seven_digits(nabp: str) -> None:
    assert profile(nabp_eprofile_id=nabp).nabp_eprofile_id == nabp


@pytest.mark.parametrize("nabp", ["12345678", "abc", "12 34", "-123", "\u0661\u0662\u0663"])
def test_bad_nabp_ids(nabp: str) -> None:
    assert "NABP" in problems(nabp_eprofile_id=nabp)["nabp_eprofile_id"]


# -- birthday -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("month", "day"), [(2, 29), (1, 31), (12, 31), (4, 30), ("2", "29"), (None, None), ("", "")]
)
def test_valid_birthdays(month: Any, day: Any) -> None:
    checked = profile(birth_month=month, birth_day=day)
    expected = (int(month), int(day)) if month not in (None, "") else (None, None)
    assert (checked.birth_month, checked.birth_day) == expected


@pytest.mark.parametrize(("month", "day", "last"), [(2, 30, 29), (4, 31, 30), (6, 31, 30),
                                                    (1, 32, 31), (3, 0, 31)])
def test_days_past_the_end_of_the_month(month: int, day: int, last: int) -> None:
    assert problems(birth_month=month, birth_day=day) == {
        "birth_day": f"Birth day must be between 1 and {last} for that month."
    }


@pytest.mark.parametrize("month", [0, 13, -1])
def test_months_out_of_range(month: int) -> None:
    assert problems(birth_month=month, birth_day=1) == {
        "birth_month": "Birth month is a number from 1 to 12."
    }


def test_month_and_day_come_together() -> None:
    both = "Give both birth month and birth day, or neither."
    assert problems(birth_month=5) == {"birth_day": both}
    assert problems(birth_day=5) == {"birth_day": both}
    assert problems(birth_month=5, birth_day="") == {"birth_day": both}


def test_birthday_must_be_numbers() -> None:
    assert problems(birth_month="May", birth_day=1) == {"birth_month": "Enter a whole number."}
    assert problems(birth_month=5, birth_day="first") == {"birth_day": "Enter a whole number."}


# -- degree ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "degree"),
    [("md", Degree.MD), ("MD", Degree.MD), ("Md", Degree.MD), ("pharmd", Degree.PHARMD),
     ("PHARMD", Degree.PHARMD), ("Other", Degree.OTHER), (" rn ", Degree.RN), ("sw", Degree.SW)],
)
def test_degree_is_case_insensitive(given: str, degree: Degree) -> None:
    assert profile(degree=given).degree is degree


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_no_degree_chosen(blank: str | None) -> None:
    # the profile form's '— choose —' option sends an empty value
    assert profile(degree=blank).degree is None


@pytest.mark.parametrize("degree", ["DDS", "M.D.", "doctor"])
def test_unknown_degrees_list_the_choices(degree: str) -> None:
    assert problems(degree=degree) == {
        "degree": "Choose one of: MD, DO, RN, NP, PA, PharmD, SW, other."
    }


# -- the form as a whole --------------------------------------------------------------------
def test_display_name_is_required() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(ProfileInput, {"degree": "MD"})
    assert caught.value.errors == {"display_name": "This field is required."}
    assert problems(display_name="  ") == {"display_name": "This field is required."}
    assert problems(display_name="x" * 121) == {"display_name": "Use at most 120 characters."}


def test_unknown_fields_are_refused() -> None:
    assert problems(role="admin") == {"role": "This field is not accepted here."}


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        profile(npi="1234567890", license_state="ZZ", birth_month=2, birth_day=30,
                nabp_eprofile_id="x", degree="MD")
    assert set(caught.value.errors) == {"npi", "license_state", "birth_day", "nabp_eprofile_id"}
    assert caught.value.message == (
        "Some fields need attention: birth_day, license_state, nabp_eprofile_id, npi"
    )


def test_a_complete_profile() -> None:
    checked = profile(degree="do", license_state="tx", license_number="K1234", npi="1234567893",
                      nabp_eprofile_id="0012345", birth_month="7", birth_day="4")
    assert checked.model_dump() == {
        "display_name": "Dr Grace Hopper", "degree": Degree.DO, "license_state": "TX",
        "license_number": "K1234", "npi": "1234567893", "nabp_eprofile_id": "0012345",
        "birth_month": 7, "birth_day": 4,
    }
