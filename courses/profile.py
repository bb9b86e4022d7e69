"""The professional profile that credit needs: profession, licence, NPI, NABP id, birth date."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from courses._fields import checked
from courses.models.accounts import Degree

# States, DC and the territories that license health professionals.
US_JURISDICTIONS = frozenset(
    """AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV
    NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP""".split()
)
_LICENSE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-/ ]{0,29}$")
_NABP = re.compile(r"^[0-9]{1,7}$")  # ASCII digits only: \d takes any script's


def npi_is_valid(npi: str) -> bool:
    """NPI check digit: Luhn over the 9 digits prefixed with the 80840 card issuer id."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class ProfileInput(BaseModel):
    """Profile fields; every one is optional, and each is checked where it has a format."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    display_name: str = Field(min_length=1, max_length=120)
    degree: Degree | None = None
    license_state: str | None = None
    license_number: str | None = Field(default=None, max_length=30)
    npi: str | None = None
    nabp_eprofile_id: str | None = None
    birth_month: int | None = None
    birth_day: int | None = Field(default=None, validate_default=True)

    @field_validator(
        "degree", "license_state", "license_number", "npi", "nabp_eprofile_id",
        "birth_month", "birth_day", mode="before",
    )
    @classmethod
    def _blank(cls, value: object) -> object:
        return _blank_to_none(value)

    @field_validator("degree", mode="before")
    @classmethod
    def _degree(cls, value: object) -> object:
        # Runs before _blank (pydantic calls 'before' validators last-defined first), so it
        # trims and treats a blank choice as no degree itself.
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            return None
        for degree in Degree:
            if isinstance(value, str) and value.lower() == degree.value.lower():
                return degree
        choices = ", ".join(d.value for d in Degree)
        raise ValueError(f"Choose one of: {choices}.")

    @field_validator("license_state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if code not in US_JURISDICTIONS:
            raise ValueError("Use the two-letter code of a US state or territory, like CA or NY.")
        return code

    @field_validator("license_number")
    @classmethod
    def _license(cls, value: str | None) -> str | None:
        if value is not None and not _LICENSE.fullmatch(value):
            raise ValueError(
                "Use the licence number as printed: letters, digits, '-', '.', '/' or spaces."
            )
        return value

    @field_validator("npi")
    @classmethod
    def _npi(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not npi_is_valid(value):
            raise ValueError("An NPI is 10 digits with a valid check digit, like 1234567893.")
        return value

    @field_validator("nabp_eprofile_id")
    @classmethod
    def _nabp(cls, value: str | None) -> str | None:
        if value is not None and not _NABP.fullmatch(value):
            raise ValueError("The NABP e-Profile ID is a number of up to 7 digits, like 1234567.")
        return value

    @field_validator("birth_month")
    @classmethod
    def _month(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 12:
            raise ValueError("Birth month is a number from 1 to 12.")
        return value

    @field_validator("birth_day")
    @classmethod
    def _day(cls, value: int | None, info: ValidationInfo) -> int | None:
        month = info.data.get("birth_month")
        if "birth_month" not in info.data:
            return value  # the month itself was wrong; that error is enough
        if (month is None) != (value is None):
            raise ValueError("Give both birth month and birth day, or neither.")
        if month is not None and value is not None:
            # 2024 is a leap year: 29 February is a valid birthday.
            last = monthrange(2024, month)[1]
            if not 1 <= value <= last:
                raise ValueError(f"Birth day must be between 1 and {last} for that month.")
        return value


REMINDERS_FIELD = "reminders_enabled"
REMINDERS_LABEL = "Email me reminders before live sessions and meetings"
"""The profile's switch for reminder mail (``courses.reminders``); every reminder names it."""


def reminders_choice(data: Mapping[str, object]) -> bool:
    """The reminders checkbox of the profile form: HTML sends it when ticked, nothing when
    not, so a form without it turns reminders off."""
    return checked(data, REMINDERS_FIELD)
