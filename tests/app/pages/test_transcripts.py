"""The transcript pages: a learner's own at /transcript with a date range and downloads, and
an administrator's view of anyone's; nobody else sees another learner's transcript."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from pypdf import PdfReader

from app.wiring import Services
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, text_of
from tests.conftest import Client, MovableClock
from tests.factories import cme_scenario
from tests.factories.cme_scenario import Scenario


@pytest.fixture
async def scene(services: Services, clock: MovableClock, cast: Cast) -> Scenario:
    return await cme_scenario.build(services, clock, cast.admin, cast.faculty)


async def test_a_learner_sees_their_credit_by_type_with_totals_and_certificates(
    scene: Scenario, signed_in: SignedIn
) -> None:
    http = await signed_in(scene.jane)
    response = await http.get("/transcript")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "My transcript" in text
    assert "All dates" in text
    assert "AMA PRA Category 1 Credit 3.00 AMA PRA Category 1 Credits™" in text
    assert (
        "2026-10-20 Sepsis update Grand Rounds Live activity 1.25 Certificate RND-7K2Q-9XWM" in text
    )
    assert "2025-06-01 Last year's update Grand Rounds Live activity 1.00 \N{EN DASH}" in text
    assert 'href="/certificates/RND-7K2Q-9XWM.pdf"' in response.text
    assert 'href="/transcript.pdf"' in response.text and 'href="/transcript.csv"' in response.text
    assert "Paul Chen" not in text


async def test_the_date_range_filters_and_the_downloads_keep_it(
    scene: Scenario, signed_in: SignedIn
) -> None:
    http = await signed_in(scene.jane)
    page = (await http.get("/transcript?from=2026-10-01&to=2026-10-15")).text
    text = text_of(page)
    assert "1 Oct 2026 to 15 Oct 2026" in text
    assert "Opioid stewardship" in text
    assert "Sepsis update" not in text and "Last year's update" not in text
    assert "AMA PRA Category 1 Credit 0.75 AMA PRA Category 1 Credits™" in text
    assert 'href="/transcript.csv?from=2026-10-01&amp;to=2026-10-15"' in page
    empty = text_of((await http.get("/transcript?from=2024-01-01&to=2024-12-31")).text)
    assert "No credit claimed in these dates." in empty


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "from=2026-12-31&to=2026-01-01",
            "to",
            "The end date (2026-01-01) is before the start date (2026-12-31); swap them, or "
            "choose a later end date.",
        ),
        (
            "from=yesterday",
            "from",
            "“yesterday” is not a date; give the start date like 2026-01-31.",
        ),
    ],
)
async def test_a_bad_range_is_explained(
    scene: Scenario, signed_in: SignedIn, query: str, field: str, message: str
) -> None:
    http = await signed_in(scene.jane)
    response = await http.get(f"/transcript?{query}")
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert "Sepsis update" not in text_of(response.text)
    download = await http.get(f"/transcript.csv?{query}")
    assert download.status_code == 422
    assert message in text_of(download.text)


async def test_the_csv_download(scene: Scenario, signed_in: SignedIn) -> None:
    http = await signed_in(scene.paul)
    response = await http.get("/transcript.csv?from=2026-01-01")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="transcript-{scene.paul.id}-2026-01-01.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:6] == [
        "Completion date",
        "Activity",
        "Course",
        "Format",
        "Credit type",
        "Credits",
    ]
    assert [(r[0], r[1], r[5], r[7]) for r in rows[1:]] == [
        ("2026-09-20", "Opioid stewardship", "0.75", "0.075"),
        ("2026-10-20", "Sepsis update", "1.25", "0.125"),
        ("Total", "", "2.00", "0.200"),
    ]


async def test_the_pdf_download(scene: Scenario, signed_in: SignedIn) -> None:
    http = await signed_in(scene.jane)
    response = await http.get("/transcript.pdf?from=2026-01-01&to=2026-12-31")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="transcript-{scene.jane.id}-2026-01-01-2026-12-31.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Learner: Dr. Jane Doe" in text
    assert "Dates: 1 Jan 2026 to 31 Dec 2026" in text
    assert "Total AMA PRA Category 1 Credit: 2.00 AMA PRA Category 1 Credits" in text
    assert "Provider: St Mary's CME" in text


async def test_a_learner_cannot_see_another_learners_transcript(
    scene: Scenario, cast: Cast, signed_in: SignedIn
) -> None:
    for person in (scene.jane, cast.faculty):
        http = await signed_in(person)
        for suffix in ("", ".csv", ".pdf"):
            response = await http.get(f"/admin/users/{scene.paul.id}/transcript{suffix}")
            assert response.status_code == 403, suffix
            assert "Paul Chen" not in response.text
            assert "0.125" not in response.text


async def test_an_admin_sees_anyones_transcript(
    scene: Scenario, cast: Cast, signed_in: SignedIn
) -> None:
    http = await signed_in(cast.admin)
    page = await http.get(f"/admin/users/{scene.paul.id}/transcript?from=2026-10-01")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Transcript: Paul Chen" in text
    assert "ACPE pharmacy continuing education 1.25 contact hours (0.125 CEUs)" in text
    assert f'href="/admin/users/{scene.paul.id}/transcript.pdf?from=2026-10-01"' in page.text
    csv_file = await http.get(f"/admin/users/{scene.paul.id}/transcript.csv")
    assert csv_file.status_code == 200 and "Sepsis update" in csv_file.text
    pdf = await http.get(f"/admin/users/{scene.paul.id}/transcript.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    missing = await http.get("/admin/users/99999/transcript")
    assert missing.status_code == 404


async def test_anonymous_visitors_are_sent_to_sign_in(
    scene: Scenario, make_client: Callable[..., Client]
) -> None:
    response = await make_client("10.9.9.9").get("/transcript?from=2026-01-01")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/transcript%3Ffrom%3D2026-01-01"
