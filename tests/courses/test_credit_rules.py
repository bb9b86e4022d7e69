"""Credit rules, table-driven: quarter-hour rounding edges, caps, full attendance with its
tolerance, ANCC/ACPE/CEU conversions, the profession mapping for every degree, bad input, and
the properties every rule keeps (monotone in minutes, never above the cap, whole steps)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses.credit_rules import (
    RULES,
    CreditRule,
    CreditType,
    Designation,
    Rounding,
    applicable_types,
    award,
    designation_statement,
)
from courses.models.accounts import Degree

D = Decimal
AMA = CreditType.AMA_PRA_1


def designation(credit_type: str, maximum: str = "10", **kw: object) -> Designation:
    return Designation(credit_type, D(maximum), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minutes", "credits"),
    [
        (0, "0.00"),
        (7, "0.00"),
        (8, "0.25"),
        (22, "0.25"),
        (23, "0.50"),
        (52, "0.75"),
        (53, "1.00"),
        (60, "1.00"),
        (67, "1.00"),
        (68, "1.25"),
        (90, "1.50"),
        (300, "5.00"),
    ],
)
@pytest.mark.parametrize("credit_type", [AMA, CreditType.AAPA_1, CreditType.IPCE])
def test_quarter_hour_types_round_to_the_nearest_quarter(
    credit_type: CreditType, minutes: int, credits: str
) -> None:
    result = award(credit_type, minutes, 300, designation(credit_type))
    assert result.credits == D(credits)
    assert str(result.credits) == credits
    assert not result.capped


@pytest.mark.parametrize(
    ("minutes", "credits"),
    [
        (D("7.49"), "0.00"),
        (D("7.5"), "0.25"),  # an exact tie goes up
        (7.5, "0.25"),  # floats are read through their repr, so no float error
        (52.5, "1.00"),
        (D("52.4999"), "0.75"),
    ],
)
def test_ties_round_half_up(minutes: Decimal | float, credits: str) -> None:
    assert award(AMA, minutes, 60, designation(AMA)).credits == D(credits)


@pytest.mark.parametrize(
    ("minutes", "maximum", "credits", "capped"),
    [
        (60, "1", "1.00", False),
        (90, "1", "1.00", True),
        (90, "1.5", "1.50", False),
        (300, "4.75", "4.75", True),
        (52, "0.5", "0.50", True),
        (7, "0.25", "0.00", False),
    ],
)
def test_credits_are_capped_at_the_designated_maximum(
    minutes: int, maximum: str, credits: str, capped: bool
) -> None:
    result = award(AMA, minutes, 300, designation(AMA, maximum))
    assert (result.credits, result.capped) == (D(credits), capped)
    assert str(result.credits) == credits


def test_reasons_read_for_people() -> None:
    assert award(AMA, 52, 60, designation(AMA, "1")).reason == (
        "52 of 60 minutes attended: 0.75 AMA PRA Category 1 Credits™"
    )
    assert award(AMA, 90, 90, designation(AMA, "1")).reason == (
        "90 of 90 minutes attended: 1.50, capped at the designated maximum of "
        "1.00 AMA PRA Category 1 Credits™"
    )
    apa = designation(CreditType.APA, "1", tolerance_minutes=5)
    assert award(CreditType.APA, 50, 60, apa).reason == (
        "Full attendance required: 50 of 60 minutes (5 minutes' tolerance): 0 APA CE credits"
    )
    assert award(CreditType.APA, 55, 60, apa).reason == (
        "Full attendance: 55 of 60 minutes (5 minutes' tolerance): 1.00 APA CE credits"
    )


@pytest.mark.parametrize(
    ("credit_type", "attended", "tolerance", "override", "credits"),
    [
        (CreditType.APA, 60, 0, None, "1.00"),
        (CreditType.APA, 59, 0, None, "0.00"),
        (CreditType.APA, 55, 5, None, "1.00"),
        (CreditType.APA, 54, 5, None, "0.00"),
        (CreditType.APA, D("54.9"), 5, None, "0.00"),
        (CreditType.ASWB, 55, 5, None, "1.00"),
        (CreditType.ASWB, 54, 5, None, "0.00"),
        (CreditType.ASWB, 0, 5, None, "0.00"),
        # the policy is per activity: APA partial, AMA all or nothing
        (CreditType.APA, 52, 0, False, "0.75"),
        (AMA, 52, 5, True, "0.00"),
        (AMA, 58, 5, True, "1.00"),
        (AMA, D("60.5"), 0, True, "1.00"),  # within the overrun slack
    ],
)
def test_full_attendance_is_all_or_nothing_within_the_tolerance(
    credit_type: CreditType,
    attended: int | Decimal,
    tolerance: int,
    override: bool | None,
    credits: str,
) -> None:
    d = designation(credit_type, "1", full_attendance=override, tolerance_minutes=tolerance)
    assert award(credit_type, attended, 60, d).credits == D(credits)


def test_full_attendance_awards_the_session_credits_up_to_the_maximum() -> None:
    d = designation(CreditType.ASWB, "1.5", tolerance_minutes=10)
    assert award(CreditType.ASWB, 80, 90, d).credits == D("1.50")
    assert award(CreditType.ASWB, 80, 120, designation(CreditType.ASWB, "1.5")).credits == 0
    capped = award(CreditType.ASWB, 120, 120, d)
    assert (capped.credits, capped.capped) == (D("1.50"), True)


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(0, "0.00"), (1, "0.02"), (7, "0.12"), (8, "0.13"), (52, "0.87"), (53, "0.88"),
     (60, "1.00"), (90, "1.50"), (D("0.3"), "0.01"), (D("0.29"), "0.00")],
)  # fmt: skip
def test_ancc_contact_hours_to_hundredths(minutes: int | Decimal, hours: str) -> None:
    result = award(CreditType.ANCC, minutes, 120, designation(CreditType.ANCC, "2"))
    assert (str(result.credits), result.unit) == (hours, "contact hours")
    assert result.ceus is None


def test_ancc_maximum_may_be_in_hundredths() -> None:
    result = award(CreditType.ANCC, 60, 60, designation(CreditType.ANCC, "0.87"))
    assert (result.credits, result.capped) == (D("0.87"), True)


@pytest.mark.parametrize(
    ("minutes", "hours", "ceus"),
    [(0, "0.00", "0.000"), (7, "0.00", "0.000"), (8, "0.25", "0.025"), (52, "0.75", "0.075"),
     (60, "1.00", "0.100"), (90, "1.50", "0.150"), (600, "10.00", "1.000")],
)  # fmt: skip
def test_acpe_contact_hours_and_ceus(minutes: int, hours: str, ceus: str) -> None:
    result = award(CreditType.ACPE, minutes, 600, designation(CreditType.ACPE, "10"))
    assert (result.credits, result.ceus, result.unit) == (D(hours), D(ceus), "contact hours")
    assert result.ceus == result.credits / 10


@pytest.mark.parametrize(
    ("minutes", "credits"), [(14, "0.25"), (37, "0.50"), (38, "0.75"), (45, "0.75"), (83, "1.50")]
)
def test_aapa_clock_hours_to_the_quarter_hour(minutes: int, credits: str) -> None:
    result = award(CreditType.AAPA_1, minutes, 90, designation(CreditType.AAPA_1, "1.5"))
    assert (result.credits, result.unit) == (D(credits), "AAPA Category 1 CME credits")


def test_participation_counts_the_hours_attended() -> None:
    d = designation(CreditType.PARTICIPATION, "1.5")
    assert award(CreditType.PARTICIPATION, 52, 90, d).credits == D("0.75")
    assert award(CreditType.PARTICIPATION, 52, 90, d).unit == "hours of participation"


ALL_DESIGNATED = [t for t in CreditType if t is not CreditType.PARTICIPATION]
P = CreditType.PARTICIPATION


@pytest.mark.parametrize(
    ("degree", "designated", "expected"),
    [
        (Degree.MD, [AMA], [AMA]),
        (Degree.DO, [AMA], [AMA]),
        (Degree.MD, [AMA, CreditType.IPCE], [AMA, CreditType.IPCE]),
        (Degree.RN, [AMA], [P]),  # an RN gets no AMA PRA credit
        (Degree.RN, [AMA, CreditType.ANCC], [CreditType.ANCC]),
        (Degree.NP, [AMA, CreditType.ANCC], [CreditType.ANCC]),
        (Degree.NP, [AMA], [P]),
        (Degree.PA, [AMA, CreditType.AAPA_1], [CreditType.AAPA_1]),
        (Degree.PHARMD, [CreditType.ACPE, CreditType.ANCC], [CreditType.ACPE]),
        (Degree.SW, [CreditType.ASWB], [CreditType.ASWB]),
        (Degree.SW, [CreditType.APA], [P]),
        (Degree.OTHER, [CreditType.APA, AMA], [CreditType.APA]),
        (Degree.OTHER, [AMA], [P]),
        (None, [AMA, CreditType.APA], [P]),
        (None, [CreditType.IPCE], [CreditType.IPCE]),
        (Degree.RN, [AMA, CreditType.IPCE], [CreditType.IPCE]),
        (Degree.MD, [], [P]),
        (Degree.MD, [P], [P]),
        (Degree.MD, [AMA, AMA], [AMA]),
    ],
)
def test_profession_decides_the_credit_types(
    degree: Degree | None, designated: list[CreditType], expected: list[CreditType]
) -> None:
    assert applicable_types(degree, designated) == expected


@pytest.mark.parametrize(
    ("degree", "expected"),
    [
        (Degree.MD, [AMA]),
        (Degree.DO, [AMA]),
        (Degree.RN, [CreditType.ANCC]),
        (Degree.NP, [CreditType.ANCC]),
        (Degree.PA, [CreditType.AAPA_1]),
        (Degree.PHARMD, [CreditType.ACPE]),
        (Degree.SW, [CreditType.ASWB]),
        (Degree.OTHER, [CreditType.APA]),
        (None, []),
    ],
)
def test_every_degree_against_an_activity_designated_for_everything(
    degree: Degree | None, expected: list[CreditType]
) -> None:
    assert applicable_types(degree, ALL_DESIGNATED) == [*expected, CreditType.IPCE]


def test_every_degree_is_mapped() -> None:
    assert set(Degree) <= {d for rule in RULES.values() for d in rule.professions}


def test_adding_a_credit_type_is_one_rule() -> None:
    """An osteopathic AOA Category 1-A rule, half-hour steps, never rounded up: one row."""
    aoa = CreditRule(
        "AOA_1A",
        "AOA Category 1-A",
        "AOA Category 1-A credits",
        D("0.5"),
        rounding=Rounding.DOWN,
        professions=frozenset({Degree.DO}),
    )
    d = Designation("AOA_1A", D("2"))
    assert [award(aoa, m, 120, d).credits for m in (29, 30, 59, 89, 120)] == [
        D("0.0"), D("0.5"), D("0.5"), D("1.0"), D("2.0")
    ]  # fmt: skip
    assert (
        award(aoa, 59, 120, d).reason == "59 of 120 minutes attended: 0.5 AOA Category 1-A credits"
    )


def test_the_mapping_is_read_from_the_table() -> None:
    """Widening a row (APA for social workers too) needs no code change."""
    apa = RULES[CreditType.APA]
    wider = {**RULES, CreditType.APA: CreditRule(
        apa.credit_type, apa.label, apa.unit, apa.step, full_attendance=True,
        professions=apa.professions | {Degree.SW},
    )}  # fmt: skip
    assert applicable_types(Degree.SW, [CreditType.APA], wider) == [CreditType.APA]
    assert applicable_types(Degree.SW, [CreditType.APA]) == [P]


@pytest.mark.parametrize(
    ("attended", "session", "d", "message"),
    [
        (-1, 60, designation(AMA), "attended_minutes cannot be negative"),
        (10, -60, designation(AMA), "session_minutes cannot be negative"),
        (0, 0, designation(AMA), "session_minutes must be above 0"),
        (62, 60, designation(AMA), r"exceeds session_minutes \(60\) by more than 1 minute"),
        (D("NaN"), 60, designation(AMA), "finite"),
        (float("inf"), 60, designation(AMA), "finite"),
        (10, 60, designation(CreditType.ANCC), "the designation is for ANCC, not AMA_PRA_1"),
        (10, 60, designation(AMA, "1.1"), "1.1 AMA PRA Category 1 Credits™ is not a multiple"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    attended: int | float | Decimal, session: int, d: Designation, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        award(AMA, attended, session, d)


@pytest.mark.parametrize("bad", [True, "52", None])
def test_minutes_must_be_numbers(bad: object) -> None:
    with pytest.raises(TypeError, match="attended_minutes must be a number of minutes"):
        award(AMA, bad, 60, designation(AMA))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("maximum", "kw", "message"),
    [
        ("0", {}, "must be above 0"),
        ("-1", {}, "must be above 0"),
        ("NaN", {}, "must be a Decimal"),
        ("1", {"tolerance_minutes": -1}, "tolerance_minutes cannot be negative"),
    ],
)
def test_bad_designations_are_refused(maximum: str, kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        designation(AMA, maximum, **kw)


def test_designation_maximum_must_be_a_decimal() -> None:
    with pytest.raises(ValueError, match=r"Decimal\('1.5'\)"):
        Designation(AMA, 1.5)  # type: ignore[arg-type]


def test_unknown_designated_type_is_refused() -> None:
    with pytest.raises(ValueError, match="no credit rule for AOA_1A"):
        applicable_types(Degree.DO, ["AOA_1A"])  # type: ignore[list-item]


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="step must be a positive number"):
        CreditRule("X", "x", "x", D(0))
    with pytest.raises(ValueError, match="minutes_per_credit must be positive"):
        CreditRule("X", "x", "x", D(1), minutes_per_credit=0)


minutes_st = st.decimals(min_value=0, max_value=600, places=2)


@given(
    st.sampled_from(list(CreditType)),
    minutes_st,
    minutes_st,
    st.integers(min_value=1, max_value=40),
    st.sampled_from([None, True, False]),
    st.integers(min_value=0, max_value=15),
)
def test_every_rule_is_monotone_capped_and_in_whole_steps(
    credit_type: CreditType,
    a: Decimal,
    b: Decimal,
    max_steps: int,
    full: bool | None,
    tolerance: int,
) -> None:
    rule = RULES[credit_type]
    low, high = sorted((a, b))
    d = Designation(credit_type, rule.step * max_steps, full, tolerance)
    session = D(600)
    fewer, more = award(rule, low, session, d), award(rule, high, session, d)
    assert D(0) <= fewer.credits <= more.credits <= d.maximum
    for result in (fewer, more):
        assert result.credits % rule.step == 0
        if result.capped:
            assert result.credits == d.maximum


# -- designation statements ------------------------------------------------------------------
PROVIDER = "St Mary's CME"


@pytest.mark.parametrize(
    ("credit_type", "maximum", "statement"),
    [
        (
            CreditType.AMA_PRA_1,
            "1.5",
            "St Mary's CME designates this live activity for a maximum of 1.50 AMA PRA Category 1 "
            "Credits™. Physicians should claim only the credit commensurate with the extent of "
            "their participation in the activity.",
        ),
        (
            CreditType.ANCC,
            "0.87",
            "St Mary's CME awards a maximum of 0.87 ANCC contact hours for this live activity. "
            "Nurses should claim only the credit commensurate with the extent of their "
            "participation in the activity.",
        ),
        (
            CreditType.ACPE,
            "1.25",
            "St Mary's CME designates this live activity for a maximum of 1.25 ACPE contact hours "
            "(0.125 CEUs). Pharmacists and pharmacy technicians should claim only the credit "
            "commensurate with the extent of their participation in the activity.",
        ),
        (
            CreditType.ASWB,
            "2",
            "As a Jointly Accredited Organization, St Mary's CME is approved to offer social "
            "work continuing education by the Association of Social Work Boards (ASWB) Approved "
            "Continuing Education (ACE) program. Social workers completing this live activity "
            "receive up to 2.00 continuing education credits.",
        ),
        (
            CreditType.AAPA_1,
            "1",
            "St Mary's CME has been authorized by the American Academy of PAs (AAPA) to award "
            "AAPA Category 1 CME credit for activities planned in accordance with AAPA CME "
            "Criteria. This live activity is designated for 1.00 AAPA Category 1 CME credits. "
            "PAs should only claim credit commensurate with the extent of their participation.",
        ),
        (
            CreditType.APA,
            "1.00",
            "Continuing Education (CE) credits for psychologists are provided through the "
            "co-sponsorship of the American Psychological Association (APA) Office of "
            "Continuing Education in Psychology (CEP). St Mary's CME maintains responsibility "
            "for the content of the programs. This live activity offers up to 1.00 APA CE "
            "credits.",
        ),
        (
            CreditType.IPCE,
            "0.75",
            "This live activity was planned by and for the healthcare team, and learners will "
            "receive up to 0.75 Interprofessional Continuing Education (IPCE) credits for "
            "learning and change.",
        ),
        (CreditType.PARTICIPATION, "1", ""),
    ],
)
def test_designation_statements_per_type(
    credit_type: CreditType, maximum: str, statement: str
) -> None:
    assert designation_statement(credit_type, PROVIDER, "live", D(maximum)) == statement


@pytest.mark.parametrize(
    ("activity_format", "words"),
    [
        ("live", "this live activity"),
        ("Live activity", "this live activity"),
        ("on_demand", "this enduring material"),
        (" Enduring material ", "this enduring material"),
    ],
)
def test_the_statement_names_the_format(activity_format: str, words: str) -> None:
    assert words in designation_statement("AMA_PRA_1", PROVIDER, activity_format, D("0.25"))


def test_every_designated_type_states_its_maximum_and_the_uan_is_appended() -> None:
    for credit_type, rule in RULES.items():
        text = designation_statement(credit_type, PROVIDER, "live", D("1"))
        if credit_type is CreditType.PARTICIPATION:
            assert text == ""
            continue
        assert str(rule.quantize(D("1"))) in text, credit_type
    acpe = designation_statement(
        CreditType.ACPE, PROVIDER, "live", D("1"), uan=" 0123-0000-26-001-L01-P "
    )
    assert acpe.endswith(
        "(0.1 CEUs). Pharmacists and pharmacy technicians should claim only the credit "
        "commensurate with the extent of their participation in the activity. Universal "
        "Activity Number (UAN): 0123-0000-26-001-L01-P."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("AMA_PRA_1", PROVIDER, "live", D("1.3")), "not a multiple of 0.25"),
        (("AMA_PRA_1", PROVIDER, "live", D("0")), "above 0"),
        (("AMA_PRA_1", PROVIDER, "live", D("NaN")), "above 0"),
        (("AMA_PRA_1", PROVIDER, "live", 1.5), "Decimal"),
        (("AMA_PRA_1", "  ", "live", D("1")), "names the provider"),
        (("AMA_PRA_1", PROVIDER, "webinar", D("1")), "live or enduring material"),
        (("CME_X", PROVIDER, "live", D("1")), "no credit rule for CME_X"),
    ],
)
def test_bad_statement_input_is_refused(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        designation_statement(*args)  # type: ignore[arg-type]
