"""The ACPE Universal Activity Number (UAN) of a pharmacy activity.

    0000-0000-26-001-L01-P
    |    |    |  |   |||  audience: P pharmacists, T pharmacy technicians
    |    |    |  |   |topic designator (01 to 08, ``TOPICS``)
    |    |    |  |   format: L live, H home study (on demand), B blended (either)
    |    |    |  the provider's activity number that year, 001 to 999
    |    |    the year the activity was planned, two digits
    |    joint provider: 0000 for none, 9999 when jointly provided
    the ACPE provider number (``Organization.acpe_provider_number``)

Learners' credit reaches CPE Monitor under this number, so a wrong one is refused before the
activity runs, with a message that names the part to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from courses.errors import InvalidInput
from courses.models import ActivityKind

EXAMPLE = "0000-0000-26-001-L01-P"
_SHAPE = re.compile(r"(\d{4})-(\d{4})-(\d{2})-(\d{3})-([LHB])(\d{2})-([PT])")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]")

TOPICS: Mapping[str, str] = MappingProxyType(
    {
        "01": "disease state management and drug therapy",
        "02": "HIV/AIDS therapy",
        "03": "law related to pharmacy practice",
        "04": "general pharmacy",
        "05": "patient safety",
        "06": "immunizations",
        "07": "compounding",
        "08": "pain management and opioids",
    }
)

# The format letter each kind of activity may carry.
_LETTERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        ActivityKind.LIVE.value: frozenset({"L", "B"}),
        ActivityKind.ON_DEMAND.value: frozenset({"H", "B"}),
    }
)

_PARTS = (
    (re.compile(r"\d{4}"), "the ACPE provider number, 4 digits"),
    (re.compile(r"\d{4}"), "the joint provider, 4 digits (0000 for none)"),
    (re.compile(r"\d{2}"), "the year, 2 digits"),
    (re.compile(r"\d{3}"), "the activity number, 3 digits"),
    (re.compile(r"[LHB]\d{2}"), "the format letter (L, H or B) and a 2-digit topic"),
    (re.compile(r"[PT]"), "the audience letter (P or T)"),
)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


def _fail(message: str) -> InvalidInput:
    return InvalidInput({"uan": message})


def _shape_problem(text: str) -> str:
    parts = text.split("-")
    if len(parts) != len(_PARTS):
        return (
            f"“{text[:40]}” has {len(parts)} part{'s' if len(parts) != 1 else ''}; a UAN has "
            f"six, separated by dashes, like {EXAMPLE}."
        )
    for ordinal, part, (pattern, meaning) in zip(_ORDINALS, parts, _PARTS, strict=True):
        if not pattern.fullmatch(part):
            return f"The {ordinal} part of the UAN, “{part[:12]}”, must be {meaning}."
    return f"Write the UAN like {EXAMPLE}."


def validate_uan(text: str, *, provider_number: str = "", activity_kind: str | None = None) -> str:
    """``text`` as a normalised UAN (upper case, plain dashes, no spaces), or InvalidInput
    with ``{"uan": message}``.

    ``provider_number``, when set, must be the UAN's first part; ``activity_kind`` ("live" or
    "on_demand"), when given, must agree with the format letter (B suits either)."""
    cleaned = re.sub(r"\s+", "", _DASHES.sub("-", str(text or ""))).upper()
    if not cleaned:
        raise _fail(f"Give the activity's Universal Activity Number, like {EXAMPLE}.")
    found = _SHAPE.fullmatch(cleaned)
    if found is None:
        raise _fail(_shape_problem(cleaned))
    provider, _joint, _year, number, letter, topic, _audience = found.groups()
    if number == "000":
        raise _fail("The activity number (fourth part) runs from 001 to 999.")
    if topic not in TOPICS:
        known = ", ".join(f"{code} {name}" for code, name in TOPICS.items())
        raise _fail(f"Topic {topic} is not an ACPE topic designator; use one of: {known}.")
    if provider_number and provider != provider_number:
        raise _fail(
            f"The UAN starts with provider number {provider}, but this provider's ACPE number "
            f"is {provider_number} (see the accreditation settings)."
        )
    if activity_kind is not None:
        allowed = _LETTERS.get(activity_kind, frozenset({"L", "H", "B"}))
        if letter not in allowed:
            if activity_kind == ActivityKind.LIVE:
                raise _fail(
                    f"This is a live activity: the format letter must be L (live) or B "
                    f"(blended), not {letter} (home study)."
                )
            raise _fail(
                f"This is an on-demand activity: the format letter must be H (home study) or B "
                f"(blended), not {letter} (live)."
            )
    return cleaned
