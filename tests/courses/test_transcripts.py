"""A learner's transcript: current claims only, by credit type, Decimal totals with the unit
and ACPE CEUs, filtered by completion date; the CSV and PDF carry the same."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.wiring import Services
from courses.date_ranges import DateRange
from courses.errors import PermissionDenied, UserNotFound
from courses.models import CreditClaim, Role, User
from courses.transcripts import Transcript, TranscriptService, transcript_csv, transcript_pdf
from tests.conftest import MovableClock
from tests.factories import cme_scenario
from tests.factories.cme_scenario import Scenario
from tests.factories.people import make_user
from tests.factories.records import make_claim, set_activity


@pytest.fixture
async def scene(services: Services, clock: MovableClock, admin: User) -> Scenario:
    faculty = await make_user(services, Role.FACULTY, name="Fay Faculty")
    return await cme_scenario.build(services, clock, admin, faculty)


async def _transcript(
    services: Services, user: User, period: DateRange = DateRange(), actor: User | None = None
) -> Transcript:
    async with services.unit() as unit:
        return await TranscriptService(unit.session, unit.clock).transcript(
            user.id or 0, period, actor or user
        )


async def test_lines_are_grouped_by_type_with_decimal_totals(
    services: Services, scene: Scenario
) -> None:
    transcript = await _transcript(services, scene.jane)
    assert transcript.provider_name == "St Mary's CME"
    assert [g.credit_type for g in transcript.groups] == ["AMA_PRA_1"]
    ama = transcript.groups[0]
    assert (ama.label, ama.unit) == ("AMA PRA Category 1 Credit", "AMA PRA Category 1 Credits™")
    assert [(line.completed_on, line.activity_title, line.credits) for line in ama.lines] == [
        (date(2025, 6, 1), "Last year's update", Decimal("1.00")),
        (date(2026, 10, 10), "Opioid stewardship", Decimal("0.75")),
        (date(2026, 10, 20), "Sepsis update", Decimal("1.25")),
    ]
    assert ama.credits == Decimal("3.00") and isinstance(ama.credits, Decimal)
    assert ama.ceus is None
    sepsis = ama.lines[2]
    assert sepsis.course_title == "Grand Rounds"
    assert sepsis.activity_format == "Live activity"
    assert ama.lines[1].activity_format == "Enduring material"
    assert sepsis.certificate_code == "RND-7K2Q-9XWM"
    assert sepsis.certificate_url == "/certificates/RND-7K2Q-9XWM.pdf"
    assert ama.lines[0].certificate_url is None


async def test_several_types_are_in_rule_order(services: Services, scene: Scenario) -> None:
    transcript = await _transcript(services, scene.nina)
    assert [(g.credit_type, g.credits, g.unit) for g in transcript.groups] == [
        ("ANCC", Decimal("1.25"), "contact hours"),
        ("PARTICIPATION", Decimal("0.75"), "hours of participation"),
    ]
    assert [line.activity_title for line in transcript.lines] == [
        "Sepsis update",
        "Opioid stewardship",
    ]


async def test_acpe_totals_carry_ceus(services: Services, scene: Scenario) -> None:
    paul = (await _transcript(services, scene.paul)).groups
    assert [(g.credit_type, g.credits, g.ceus) for g in paul] == [
        ("ACPE", Decimal("2.00"), Decimal("0.200"))
    ]
    # Rita's sepsis claim recorded its CEUs (0.1); the other is contact hours / 10
    rita = (await _transcript(services, scene.rita)).groups[0]
    assert [line.ceus for line in rita.lines] == [Decimal("0.075"), Decimal("0.1")]
    assert rita.ceus == Decimal("0.175")


async def test_a_corrected_claim_counts_once_as_corrected(
    services: Services, scene: Scenario
) -> None:
    omar = await _transcript(services, scene.omar)
    assert [line.credits for line in omar.lines] == [Decimal("1.00")]
    assert omar.groups[0].credits == Decimal("1.00")
    async with services.unit() as unit:
        current = await unit.session.get(CreditClaim, omar.lines[0].claim_id)
    assert current is not None and current.supersedes_id == scene.omar_first_claim.id
    # a correction to nothing withdraws the claim from the transcript
    await make_claim(
        services,
        scene.omar,
        scene.sepsis,
        "AMA_PRA_1",
        "0",
        date(2026, 10, 20),
        supersedes=current,
        reason="Did not attend",
    )
    assert (await _transcript(services, scene.omar)).is_empty


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (date(2026, 10, 1), date(2026, 10, 15), ["Opioid stewardship"]),
        (date(2026, 10, 10), date(2026, 10, 20), ["Opioid stewardship", "Sepsis update"]),
        (date(2026, 10, 11), None, ["Sepsis update"]),
        (None, date(2025, 12, 31), ["Last year's update"]),
        (date(2026, 10, 21), date(2026, 12, 31), []),
    ],
)
async def test_the_date_range_is_inclusive_on_completion_dates(
    services: Services,
    scene: Scenario,
    since: date | None,
    until: date | None,
    expected: list[str],
) -> None:
    transcript = await _transcript(services, scene.jane, DateRange(since, until))
    assert [line.activity_title for line in transcript.lines] == expected
    total = sum((g.credits for g in transcript.groups), Decimal(0))
    assert total == sum((line.credits for line in transcript.lines), Decimal(0))


async def test_learners_see_only_their_own_transcript(services: Services, scene: Scenario) -> None:
    with pytest.raises(PermissionDenied, match="Only administrators may see another person"):
        await _transcript(services, scene.paul, actor=scene.jane)
    with pytest.raises(PermissionDenied):
        await _transcript(services, scene.paul, actor=scene.faculty)
    seen = await _transcript(services, scene.paul, actor=scene.admin)
    assert seen.learner.id == scene.paul.id and seen.groups[0].credits == Decimal("2.00")
    async with services.unit() as unit:
        with pytest.raises(UserNotFound):
            await TranscriptService(unit.session, unit.clock).transcript(
                99999, DateRange(), scene.admin
            )


async def test_a_learner_without_claims_has_an_empty_transcript(
    services: Services, scene: Scenario
) -> None:
    transcript = await _transcript(services, scene.faculty)
    assert transcript.is_empty and transcript.lines == []
    rows = list(csv.reader(io.StringIO(transcript_csv(transcript))))
    assert rows == [
        [
            "Completion date",
            "Activity",
            "Course",
            "Format",
            "Credit type",
            "Credits",
            "Unit",
            "ACPE CEUs",
            "Certificate code",
        ]
    ]
    text = _pdf_text(transcript_pdf(transcript))
    assert "No credit was claimed in these dates." in text


async def test_the_csv_has_every_line_and_the_totals(services: Services, scene: Scenario) -> None:
    transcript = await _transcript(services, scene.rita, DateRange(date(2026, 1, 1), None))
    rows = list(csv.DictReader(io.StringIO(transcript_csv(transcript))))
    assert rows == [
        {
            "Completion date": "2026-10-10",
            "Activity": "Opioid stewardship",
            "Course": "Grand Rounds",
            "Format": "Enduring material",
            "Credit type": "ACPE pharmacy continuing education",
            "Credits": "0.75",
            "Unit": "contact hours",
            "ACPE CEUs": "0.075",
            "Certificate code": "",
        },
        {
            "Completion date": "2026-10-20",
            "Activity": "Sepsis update",
            "Course": "Grand Rounds",
            "Format": "Live activity",
            "Credit type": "ACPE pharmacy continuing education",
            "Credits": "1.00",
            "Unit": "contact hours",
            "ACPE CEUs": "0.1",
            "Certificate code": "",
        },
        {
            "Completion date": "Total",
            "Activity": "",
            "Course": "",
            "Format": "",
            "Credit type": "ACPE pharmacy continuing education",
            "Credits": "1.75",
            "Unit": "contact hours",
            "ACPE CEUs": "0.175",
            "Certificate code": "",
        },
    ]


async def test_a_title_that_looks_like_a_formula_is_quoted_in_the_csv(
    services: Services, scene: Scenario
) -> None:
    await set_activity(services, scene.sepsis, title='=HYPERLINK("http://x")')
    transcript = await _transcript(services, scene.paul)
    rows = list(csv.reader(io.StringIO(transcript_csv(transcript))))
    assert rows[2][1] == '\'=HYPERLINK("http://x")'


async def test_the_pdf_shows_learner_range_totals_and_provider(
    services: Services, scene: Scenario
) -> None:
    transcript = await _transcript(
        services, scene.jane, DateRange(date(2026, 1, 1), date(2026, 12, 31))
    )
    text = _pdf_text(transcript_pdf(transcript))
    assert "Transcript of continuing education credit" in text
    assert "Learner: Dr. Jane Doe" in text
    assert "Dates: 1 Jan 2026 to 31 Dec 2026" in text
    assert "Provider: St Mary's CME" in text
    assert "Total AMA PRA Category 1 Credit: 2.00 AMA PRA Category 1 Credits" in text
    assert "Sepsis update" in text and "Opioid stewardship" in text
    assert "Last year's update" not in text  # outside the range
    assert "RND-7K2Q-9XWM" in text
    assert "Generated 1 Dec 2026, 12:00 UTC" in text


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
