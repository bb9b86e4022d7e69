"""Continuing-education credit: one small rule per credit type, held in one table.

A rule turns the minutes a learner attended (breaks already removed by the caller, see
``courses.attendance``) into credits of its type; a ``Designation`` says, per activity and type,
how many credits were designated in advance and whether full attendance is required.

Rounding (all arithmetic in ``Decimal``; floats are read through their shortest repr, so 52.0
minutes is exactly 52):

    credits = round(attended_minutes / minutes_per_credit, to a multiple of step)

``NEAREST_HALF_UP`` rounds to the nearest step, an exact tie upwards. At 0.25 steps a step is
15 minutes, so a tie is 7.5 minutes past a quarter: 7 min -> 0, 7.5 and 8 min -> 0.25,
22 -> 0.25, 23 -> 0.5, 52 -> 0.75, 53 -> 1.0, 67 -> 1.0, 68 -> 1.25. The result is then capped
at the designated maximum (learners claim only what they attended, never above the maximum).

Choices per type (the DESIGN.md "Continuing-education rules"):

    type           unit                             step   rounding   full attendance
    AMA_PRA_1      AMA PRA Category 1 Credits(TM)   0.25   nearest    no
    ANCC           contact hours                    0.01   nearest    no   (ANCC allows
                                                                           hundredths; chosen
                                                                           so 52 min = 0.87)
    ACPE           contact hours (+ CEUs = h / 10)  0.25   nearest    no   (quarter hours are
                                                                           the common ACPE use)
    ASWB           ASWB ACE CE credits              0.25   nearest    yes
    AAPA_1         AAPA Category 1 CME credits      0.25   nearest    no   (clock hours to the
                                                                           quarter hour)
    APA            APA CE credits                   0.25   nearest    yes
    IPCE           IPCE credits                     0.25   nearest    no   (hours like AMA)
    PARTICIPATION  hours of participation           0.25   nearest    no

Profession mapping (``applicable_types``; ``courses.models.Degree``), among the types the
activity is designated for:

    degree     credit types
    MD, DO     AMA_PRA_1
    RN, NP     ANCC   (AMA PRA certificates are for physicians only)
    PA         AAPA_1
    PharmD     ACPE
    SW         ASWB
    other      APA
    any/None   IPCE, when designated (team credit under Joint Accreditation)
    fallback   PARTICIPATION, when nothing above applies (certificate of participation
               showing the hours attended; never designated, always available)

Designation statements (``designation_statement``) are read from the row too: each rule holds
the standard wording of its accreditor, with ``{provider}``, ``{format}`` ("live activity" or
"enduring material"), ``{maximum}`` (in the step's decimal places), ``{unit}`` and ``{ceus}``
filled in. PARTICIPATION has none: it is never designated.

Adding a credit type is one ``CreditType`` member and one row in ``RULES``: the profession
mapping, rounding, the full-attendance default and the statement are read from the row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from types import MappingProxyType

from courses.models.accounts import Degree

# Attendance is measured from media connections in seconds; a learner recorded a few seconds
# past the session's instructional minutes is treated as having attended all of it.
OVERRUN_SLACK_MINUTES = Decimal(1)

Minutes = int | float | Decimal


class CreditType(StrEnum):
    AMA_PRA_1 = "AMA_PRA_1"
    ANCC = "ANCC"
    ACPE = "ACPE"
    ASWB = "ASWB"
    AAPA_1 = "AAPA_1"
    APA = "APA"
    IPCE = "IPCE"
    PARTICIPATION = "PARTICIPATION"


class Rounding(StrEnum):
    NEAREST_HALF_UP = "nearest_half_up"  # nearest step; an exact tie goes up
    DOWN = "down"  # whole steps only, never more than attended


@dataclass(frozen=True)
class CreditRule:
    """How one credit type turns attended minutes into credits, and who may receive it."""

    credit_type: str
    label: str
    unit: str
    step: Decimal
    rounding: Rounding = Rounding.NEAREST_HALF_UP
    full_attendance: bool = False
    professions: frozenset[Degree] = frozenset()
    every_profession: bool = False
    minutes_per_credit: int = 60
    ceus_per_credit: Decimal | None = None
    statement: str = ""
    """The designation statement's wording (see ``designation_statement``); "" for none."""

    def __post_init__(self) -> None:
        if not self.step.is_finite() or self.step <= 0:
            raise ValueError(f"{self.credit_type}: step must be a positive number, got {self.step}")
        if self.minutes_per_credit <= 0:
            raise ValueError(
                f"{self.credit_type}: minutes_per_credit must be positive, "
                f"got {self.minutes_per_credit}"
            )

    def applies_to(self, degree: Degree | None) -> bool:
        return self.every_profession or (degree is not None and degree in self.professions)

    def credits_for(self, minutes: Decimal) -> Decimal:
        """``minutes`` (not negative) in credits, rounded to a multiple of the step, uncapped."""
        mode = ROUND_HALF_UP if self.rounding is Rounding.NEAREST_HALF_UP else ROUND_FLOOR
        with localcontext() as ctx:
            ctx.prec = 60  # exact enough that only a true tie lands on .5
            steps = (minutes / (self.minutes_per_credit * self.step)).to_integral_value(mode)
            return self.quantize(steps * self.step)

    def quantize(self, credits: Decimal) -> Decimal:
        """``credits`` written with the step's decimal places (0.75, 0.87, 1.00)."""
        return credits.quantize(self.step)

    def is_multiple_of_step(self, credits: Decimal) -> bool:
        return credits % self.step == 0


QUARTER = Decimal("0.25")

RULES: Mapping[CreditType, CreditRule] = MappingProxyType(
    {
        CreditType.AMA_PRA_1: CreditRule(
            CreditType.AMA_PRA_1,
            "AMA PRA Category 1 Credit",
            "AMA PRA Category 1 Credits™",
            QUARTER,
            professions=frozenset({Degree.MD, Degree.DO}),
            statement=(
                "{provider} designates this {format} for a maximum of {maximum} {unit}. "
                "Physicians should claim only the credit commensurate with the extent of their "
                "participation in the activity."
            ),
        ),
        CreditType.ANCC: CreditRule(
            CreditType.ANCC,
            "ANCC nursing continuing professional development",
            "contact hours",
            Decimal("0.01"),
            professions=frozenset({Degree.RN, Degree.NP}),
            statement=(
                "{provider} awards a maximum of {maximum} ANCC {unit} for this {format}. "
                "Nurses should claim only the credit commensurate with the extent of their "
                "participation in the activity."
            ),
        ),
        CreditType.ACPE: CreditRule(
            CreditType.ACPE,
            "ACPE pharmacy continuing education",
            "contact hours",
            QUARTER,
            professions=frozenset({Degree.PHARMD}),
            ceus_per_credit=Decimal("0.1"),
            statement=(
                "{provider} designates this {format} for a maximum of {maximum} ACPE {unit} "
                "({ceus} CEUs). Pharmacists and pharmacy technicians should claim only the "
                "credit commensurate with the extent of their participation in the activity."
            ),
        ),
        CreditType.ASWB: CreditRule(
            CreditType.ASWB,
            "ASWB ACE social work continuing education",
            "ASWB ACE CE credits",
            QUARTER,
            full_attendance=True,
            professions=frozenset({Degree.SW}),
            statement=(
                "As a Jointly Accredited Organization, {provider} is approved to offer social "
                "work continuing education by the Association of Social Work Boards (ASWB) "
                "Approved Continuing Education (ACE) program. Social workers completing this "
                "{format} receive up to {maximum} continuing education credits."
            ),
        ),
        CreditType.AAPA_1: CreditRule(
            CreditType.AAPA_1,
            "AAPA Category 1 CME",
            "AAPA Category 1 CME credits",
            QUARTER,
            professions=frozenset({Degree.PA}),
            statement=(
                "{provider} has been authorized by the American Academy of PAs (AAPA) to award "
                "AAPA Category 1 CME credit for activities planned in accordance with AAPA CME "
                "Criteria. This {format} is designated for {maximum} {unit}. PAs should only "
                "claim credit commensurate with the extent of their participation."
            ),
        ),
        CreditType.APA: CreditRule(
            CreditType.APA,
            "APA continuing education for psychologists",
            "APA CE credits",
            QUARTER,
            full_attendance=True,
            professions=frozenset({Degree.OTHER}),
            statement=(
                "Continuing Education (CE) credits for psychologists are provided through the "
                "co-sponsorship of the American Psychological Association (APA) Office of "
                "Continuing Education in Psychology (CEP). {provider} maintains responsibility "
                "for the content of the programs. This {format} offers up to {maximum} {unit}."
            ),
        ),
        CreditType.IPCE: CreditRule(
            CreditType.IPCE,
            "IPCE interprofessional continuing education",
            "IPCE credits",
            QUARTER,
            every_profession=True,
            statement=(
                "This {format} was planned by and for the healthcare team, and learners will "
                "receive up to {maximum} Interprofessional Continuing Education (IPCE) credits "
                "for learning and change."
            ),
        ),
        CreditType.PARTICIPATION: CreditRule(
            CreditType.PARTICIPATION,
            "Certificate of participation",
            "hours of participation",
            QUARTER,
        ),
    }
)


@dataclass(frozen=True)
class Designation:
    """What an activity designates for one credit type, decided before it runs.

    ``maximum`` is in the rule's unit (contact hours for ANCC and ACPE). ``full_attendance``
    ``None`` takes the rule's default. ``tolerance_minutes`` is how many minutes a learner may
    miss and still count as fully attending.
    """

    credit_type: str
    maximum: Decimal
    full_attendance: bool | None = None
    tolerance_minutes: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.maximum, Decimal) or not self.maximum.is_finite():
            raise ValueError(
                f"{self.credit_type}: the designated maximum must be a Decimal such as "
                f"Decimal('1.5'), got {self.maximum!r}"
            )
        if self.maximum <= 0:
            raise ValueError(
                f"{self.credit_type}: the designated maximum must be above 0, got {self.maximum}"
            )
        if self.tolerance_minutes < 0:
            raise ValueError(
                f"{self.credit_type}: tolerance_minutes cannot be negative, "
                f"got {self.tolerance_minutes}"
            )


@dataclass(frozen=True)
class Award:
    credit_type: str
    credits: Decimal
    unit: str
    reason: str  # for people: the learner's transcript and the administrator's report
    capped: bool = False
    ceus: Decimal | None = None
    minutes_attended: Decimal = field(default=Decimal(0))


def _minutes(name: str, value: Minutes) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{name} must be a number of minutes, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of minutes, got {value}")
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number of minutes, got {value}")
    if number < 0:
        raise ValueError(f"{name} cannot be negative, got {value}")
    return number


def _fmt(minutes: Decimal) -> str:
    return format(minutes.normalize(), "f")


def award(
    rule_or_type: CreditRule | CreditType,
    attended_minutes: Minutes,
    session_minutes: Minutes,
    designation: Designation,
) -> Award:
    """The credits a learner earns for ``attended_minutes`` of a ``session_minutes`` activity.

    Minutes exclude breaks. Never negative and never above ``designation.maximum``.
    """
    rule = RULES[rule_or_type] if isinstance(rule_or_type, CreditType) else rule_or_type
    attended = _minutes("attended_minutes", attended_minutes)
    session = _minutes("session_minutes", session_minutes)
    if session == 0:
        raise ValueError("session_minutes must be above 0: an activity without minutes earns none")
    if attended > session + OVERRUN_SLACK_MINUTES:
        raise ValueError(
            f"attended_minutes ({_fmt(attended)}) exceeds session_minutes ({_fmt(session)}) by "
            f"more than {OVERRUN_SLACK_MINUTES} minute; check the attendance computation"
        )
    attended = min(attended, session)
    if designation.credit_type != rule.credit_type:
        raise ValueError(
            f"the designation is for {designation.credit_type}, not {rule.credit_type}"
        )
    if not rule.is_multiple_of_step(designation.maximum):
        raise ValueError(
            f"the designated maximum {designation.maximum} {rule.unit} is not a multiple of "
            f"{rule.step}"
        )
    maximum = rule.quantize(designation.maximum)
    full = (
        rule.full_attendance
        if designation.full_attendance is None
        else (designation.full_attendance)
    )
    tolerance = designation.tolerance_minutes
    of = f"{_fmt(attended)} of {_fmt(session)} minutes"
    if full:
        tolerance_text = f" ({tolerance} minutes' tolerance)" if tolerance else ""
        if attended + tolerance < session:
            return _award(
                rule,
                rule.quantize(Decimal(0)),
                attended,
                f"Full attendance required: {of}{tolerance_text}: 0 {rule.unit}",
            )
        earned = rule.credits_for(session)
        prefix = f"Full attendance: {of}{tolerance_text}"
    else:
        earned = rule.credits_for(attended)
        prefix = f"{of} attended"
    if earned > maximum:
        return _award(
            rule,
            maximum,
            attended,
            f"{prefix}: {earned}, capped at the designated maximum of {maximum} {rule.unit}",
            capped=True,
        )
    return _award(rule, earned, attended, f"{prefix}: {earned} {rule.unit}")


def _award(
    rule: CreditRule, credits: Decimal, attended: Decimal, reason: str, *, capped: bool = False
) -> Award:
    ceus = None if rule.ceus_per_credit is None else credits * rule.ceus_per_credit
    return Award(rule.credit_type, credits, rule.unit, reason, capped, ceus, attended)


def applicable_types(
    degree: Degree | None,
    designated: Iterable[CreditType],
    rules: Mapping[CreditType, CreditRule] = RULES,
) -> list[CreditType]:
    """The credit types a learner of ``degree`` receives from an activity ``designated`` for
    some types, in table order; ``[PARTICIPATION]`` when none applies."""
    wanted = set(designated)
    unknown = wanted - rules.keys()
    if unknown:
        raise ValueError(f"no credit rule for {', '.join(sorted(unknown))}")
    found: list[CreditType] = [
        credit_type
        for credit_type, rule in rules.items()
        if credit_type in wanted
        and credit_type is not CreditType.PARTICIPATION
        and rule.applies_to(degree)
    ]
    return found or [CreditType.PARTICIPATION]


# What ``designation_statement`` accepts as the activity's format, and the words it prints.
_FORMAT_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "live": "live activity",
        "live activity": "live activity",
        "on_demand": "enduring material",
        "on demand": "enduring material",
        "enduring material": "enduring material",
    }
)


def designation_statement(
    credit_type: CreditType | str,
    provider_name: str,
    activity_format: str,
    maximum: Decimal,
    *,
    uan: str = "",
    rules: Mapping[CreditType, CreditRule] = RULES,
) -> str:
    """The designation statement printed for one designated credit type.

    ``activity_format`` is the activity's kind ("live", "on_demand") or its label ("Live
    activity", "Enduring material"). ``maximum`` is the designated maximum in the rule's unit.
    ``uan`` (ACPE) is appended as the Universal Activity Number. PARTICIPATION, which is never
    designated, has no statement: "".
    """
    try:
        rule = rules[CreditType(credit_type)]
    except (ValueError, KeyError):
        raise ValueError(f"no credit rule for {credit_type}") from None
    words = _FORMAT_WORDS.get(activity_format.strip().lower())
    if words is None:
        raise ValueError(
            f"the activity format must be live or enduring material, got {activity_format!r}"
        )
    provider = provider_name.strip()
    if not provider:
        raise ValueError("a designation statement names the provider: give its name")
    if not isinstance(maximum, Decimal) or not maximum.is_finite() or maximum <= 0:
        raise ValueError(f"the designated maximum must be a Decimal above 0, got {maximum!r}")
    if not rule.is_multiple_of_step(maximum):
        raise ValueError(
            f"the designated maximum {maximum} {rule.unit} is not a multiple of {rule.step}"
        )
    if not rule.statement:
        return ""
    shown = rule.quantize(maximum)
    ceus = "" if rule.ceus_per_credit is None else _fmt(shown * rule.ceus_per_credit)
    text = rule.statement.format(
        provider=provider, format=words, maximum=shown, unit=rule.unit, ceus=ceus
    )
    if uan.strip():
        text += f" Universal Activity Number (UAN): {uan.strip()}."
    return text
