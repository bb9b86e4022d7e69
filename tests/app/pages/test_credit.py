"""The credit pages: the learner's hub (earned, blockers, the claim form), claiming with bad
input, the certificate PDF and who may open it, reissuing after a name change, the public
verification page (only what confirms the certificate), its rate limit, and the CME office's
claim correction."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from app.verify_throttle import LOOKUPS_PER_MINUTE
from app.wiring import Services
from courses.credit_rules import CreditType
from courses.models import Activity, Course, User
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, flashes, input_value, text_of
from tests.conftest import Client, MovableClock
from tests.factories.assessments import add_evaluation, add_post_test, record_evaluation
from tests.factories.catalog import make_course, make_live
from tests.factories.credit import (
    AMA_STATEMENT,
    attend,
    claimed_participation,
    designate,
    name_provider,
    published_recording,
    state_accreditation,
    watch,
)

SESSION = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
AFTER = SESSION + timedelta(hours=2)
AMA = CreditType.AMA_PRA_1
UNIT = "AMA PRA Category 1 Credits™"


def at(minutes: float) -> datetime:
    return SESSION + timedelta(minutes=minutes)


async def set_profile(services: Services, user: User, name: str, degree: str) -> None:
    async with services.unit() as unit:
        await unit.accounts.update_profile(user.id or 0, {"display_name": name, "degree": degree})


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    return await make_course(
        services, cast.admin, title="Cardiology Grand Rounds", faculty_ids=[cast.faculty.id]
    )


@pytest.fixture
async def session(services: Services, cast: Cast, course: Course) -> Activity:
    await name_provider(services, "St Mary's Hospital")
    await state_accreditation(services, AMA, AMA_STATEMENT)
    activity = await make_live(
        services, cast.admin, course, starts_at=SESSION, minutes=60, title="Heart failure update"
    )
    await designate(services, activity, AMA, "1.00")
    await set_profile(services, cast.learner, "Dr. Maya Patel", "MD")
    await attend(services, activity, cast.learner, at(8), at(60))
    return activity


@pytest.fixture
async def learner(signed_in: SignedIn, cast: Cast, session: Activity) -> Client:
    return await signed_in(cast.learner)


async def claim_and_code(http: Client, activity: Activity, clock: MovableClock) -> str:
    clock.at = AFTER
    response = await http.form(f"/activities/{activity.id}/credit/claim", {AMA: "0.75"})
    assert response.status_code == 303, response.text
    page = (await http.get(f"/activities/{activity.id}/credit")).text
    assert flashes(page) == ["Credit claimed. Your certificate is ready below."]
    found = re.search(r'href="/certificates/([A-Z0-9-]+)\.pdf"', page)
    assert found, page
    return found.group(1)


async def test_the_hub_shows_what_was_earned_and_prefills_the_claim(
    learner: Client, clock: MovableClock, session: Activity
) -> None:
    clock.at = AFTER
    page = await learner.get(f"/activities/{session.id}/credit")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "AMA PRA Category 1 Credit 0.75 " + UNIT in text
    assert "52 of 60 minutes attended: 0.75 " + UNIT in text
    assert "This activity has no evaluation." in text
    assert input_value(page.text, AMA) == "0.75"
    assert "Before you can claim" not in text


async def test_the_hub_lists_what_blocks_the_claim(
    services: Services, learner: Client, clock: MovableClock, session: Activity, cast: Cast
) -> None:
    evaluation = await add_evaluation(services, session)
    clock.at = at(30)
    text = text_of((await learner.get(f"/activities/{session.id}/credit")).text)
    assert "Before you can claim: The session has not ended yet Submit the evaluation first" in (
        text
    )
    assert "Complete the evaluation" in text
    assert (
        f'href="/activities/{session.id}/evaluation"'
        in (await learner.get(f"/activities/{session.id}/credit")).text
    )
    clock.at = AFTER
    await record_evaluation(services, evaluation, cast.learner)
    text = text_of((await learner.get(f"/activities/{session.id}/credit")).text)
    assert "Submitted, thank you" in text
    assert "Before you can claim" not in text


async def test_a_claim_above_what_was_earned_is_refused_on_the_form(
    learner: Client, clock: MovableClock, session: Activity
) -> None:
    clock.at = AFTER
    response = await learner.form(f"/activities/{session.id}/credit/claim", {AMA: "1.00"})
    assert response.status_code == 422
    assert field_error(response.text, AMA) == f"You earned 0.75 {UNIT}; claim at most that."
    assert input_value(response.text, AMA) == "1.00"


async def test_a_claim_before_the_end_is_refused_with_the_reason(
    learner: Client, clock: MovableClock, session: Activity
) -> None:
    clock.at = at(30)
    response = await learner.form(f"/activities/{session.id}/credit/claim", {AMA: "0.25"})
    assert response.status_code == 422
    assert "You cannot claim credit yet: The session has not ended yet." in text_of(response.text)


async def test_claiming_gives_a_certificate_with_its_pdf(
    learner: Client, clock: MovableClock, session: Activity, cast: Cast
) -> None:
    code = await claim_and_code(learner, session, clock)
    page = await learner.get(f"/activities/{session.id}/credit")
    text = text_of(page.text)
    assert f"Verification code {code}" in text
    assert input_value(page.text, AMA) is None  # claimed: no form any more
    response = await learner.get(f"/certificates/{code}.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    pdf = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    pdf = re.sub(r"\s+", " ", pdf)
    for element in (
        "Dr. Maya Patel",
        "Heart failure update",
        f"0.75 {UNIT}",
        f"Verification code {code}",
        f"http://testserver/verify/{code}",
    ):
        assert element in pdf, (element, pdf)


async def test_only_the_learner_the_course_faculty_and_admins_open_the_pdf(
    learner: Client,
    signed_in: SignedIn,
    make_client: Callable[..., Client],
    clock: MovableClock,
    session: Activity,
    cast: Cast,
) -> None:
    code = await claim_and_code(learner, session, clock)
    for person, status in (
        (cast.faculty, 200),
        (cast.admin, 200),
        (cast.other_faculty, 404),
    ):
        http = await signed_in(person)
        response = await http.get(f"/certificates/{code}.pdf")
        assert response.status_code == status, person.display_name
        if status == 404:
            assert "There is no certificate with this code that you may open." in text_of(
                response.text
            )
    assert (await learner.get("/certificates/RND-2222-2222.pdf")).status_code == 404
    assert (await learner.get("/certificates/not-a-code.pdf")).status_code == 404


async def test_the_verify_page_shows_only_what_confirms_the_certificate(
    learner: Client,
    make_client: Callable[..., Client],
    clock: MovableClock,
    session: Activity,
    cast: Cast,
) -> None:
    code = await claim_and_code(learner, session, clock)
    anonymous: Client = make_client("10.99.0.1")
    page = await anonymous.get(f"/verify/{code}")
    assert page.status_code == 200
    facts = dict(
        zip(
            [text_of(t) for t in re.findall(r"<dt>(.*?)</dt>", page.text, re.S)],
            [text_of(d) for d in re.findall(r"<dd>(.*?)</dd>", page.text, re.S)],
            strict=True,
        )
    )
    assert facts == {
        "Verification code": code,
        "Learner": "Dr. Maya Patel",
        "Activity": "Heart failure update",
        "Completed on": "December 2, 2026",
        "Credit": f"AMA PRA Category 1 Credit: 0.75 {UNIT}",
        "Issued on": "December 2, 2026",
    }
    assert "Valid certificate" in text_of(page.text)
    assert cast.learner.email not in page.text
    assert "Reissued" not in page.text
    assert "Cardiology" not in page.text  # not even the course: only what confirms it


async def test_unknown_and_malformed_codes_are_not_found(
    make_client: Callable[..., Client],
) -> None:
    anonymous: Client = make_client("10.99.0.2")
    for code in ("RND-2222-2222", "ZZZ", "RND-0000-0000"):
        page = await anonymous.get(f"/verify/{code}")
        assert page.status_code == 404
        assert f"No certificate issued by Rounds has the code “{code}”." in text_of(page.text)


async def test_the_verify_form_goes_to_the_code_s_page(make_client: Callable[..., Client]) -> None:
    anonymous: Client = make_client("10.99.0.3")
    assert (await anonymous.get("/verify")).status_code == 200
    response = await anonymous.get("/verify", params={"code": " rnd 7kq2 x9mf "})
    assert response.status_code == 303
    assert response.headers["location"] == "/verify/RND-7KQ2-X9MF"
    response = await anonymous.get("/verify/rnd-7kq2-x9mf")
    assert response.headers["location"] == "/verify/RND-7KQ2-X9MF"
    response = await anonymous.get("/verify", params={"code": "12345"})
    assert response.status_code == 422
    assert field_error(response.text, "code") == (
        "A verification code has 11 letters and digits, like RND-7KQ2-X9MF. Check it against "
        "the certificate."
    )


async def test_the_verify_page_is_rate_limited(make_client: Callable[..., Client]) -> None:
    anonymous: Client = make_client("10.99.0.4")
    for _ in range(LOOKUPS_PER_MINUTE):
        assert (await anonymous.get("/verify/RND-2222-2222")).status_code == 404
    response = await anonymous.get("/verify/RND-2222-2222")
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert "Too many verification requests from your network" in text_of(response.text)
    other: Client = make_client("10.99.0.5")
    assert (await other.get("/verify/RND-2222-2222")).status_code == 404


async def test_a_name_change_reissues_the_certificate_under_its_code(
    services: Services,
    learner: Client,
    make_client: Callable[..., Client],
    clock: MovableClock,
    session: Activity,
    cast: Cast,
) -> None:
    code = await claim_and_code(learner, session, clock)
    response = await learner.form(f"/certificates/{code}/reissue")
    assert response.headers["location"] == f"/activities/{session.id}/credit"
    page = (await learner.get(response.headers["location"])).text
    assert "Nothing printed on this certificate has changed" in flashes(page)[0]

    await set_profile(services, cast.learner, "Dr. Maya Patel-Okafor", "MD")
    page = (await learner.get(f"/activities/{session.id}/credit")).text
    assert "Reissue with my current name" in page
    response = await learner.form(f"/certificates/{code}/reissue")
    assert response.status_code == 303
    page = (await learner.get(response.headers["location"])).text
    assert flashes(page) == [
        f"Certificate reissued to Dr. Maya Patel-Okafor; its verification code stays {code}."
    ]
    anonymous: Client = make_client("10.99.0.6")
    text = text_of((await anonymous.get(f"/verify/{code}")).text)
    assert "Learner Dr. Maya Patel-Okafor" in text
    assert "Reissued: this is the current version of a certificate first issued on" in text
    pdf = (await learner.get(f"/certificates/{code}.pdf")).content
    assert "Dr. Maya Patel-Okafor" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


async def test_others_cannot_reissue_a_certificate(
    learner: Client, signed_in: SignedIn, clock: MovableClock, session: Activity, cast: Cast
) -> None:
    code = await claim_and_code(learner, session, clock)
    for person in (cast.faculty, cast.other_faculty):
        http = await signed_in(person)
        assert (await http.form(f"/certificates/{code}/reissue")).status_code == 404


async def test_the_cme_office_corrects_a_claim(
    services: Services,
    signed_in: SignedIn,
    make_client: Callable[..., Client],
    cast: Cast,
    course: Course,
) -> None:
    claim, certificate = await claimed_participation(services, cast.admin, cast.learner, course)
    admin = await signed_in(cast.admin)
    page = await admin.get(f"/admin/claims/{claim.id}/correct")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Designated maximum 0.50 hours of participation" in text
    assert input_value(page.text, "credits") == "0.50"

    response = await admin.form(f"/admin/claims/{claim.id}/correct", {"credits": "0.75"})
    assert response.status_code == 422
    assert field_error(response.text, "credits") == (
        "The activity was designated for at most 0.50 hours of participation; a claim cannot "
        "exceed it."
    )
    assert field_error(response.text, "reason") == "Say why: the reason is kept with the record."

    response = await admin.form(
        f"/admin/claims/{claim.id}/correct", {"credits": "0.25", "reason": "Left at 15 minutes"}
    )
    assert response.status_code == 303
    moved = re.fullmatch(r"/admin/claims/(\d+)/correct", response.headers["location"])
    assert moved is not None
    new_id = int(moved[1])
    assert new_id != claim.id
    page = await admin.get(response.headers["location"])
    assert "Left at 15 minutes" in text_of(page.text)
    old = text_of((await admin.get(f"/admin/claims/{claim.id}/correct")).text)
    assert "This claim was corrected on" in old
    anonymous: Client = make_client("10.99.0.7")
    text = text_of((await anonymous.get(f"/verify/{certificate.code}")).text)
    assert "0.25 hours of participation" in text
    assert "Reissued" in text


async def test_an_activity_with_claims_is_not_removed(
    services: Services, signed_in: SignedIn, cast: Cast, course: Course
) -> None:
    claim, _ = await claimed_participation(services, cast.admin, cast.learner, course)
    admin = await signed_in(cast.admin)
    response = await admin.form(f"/admin/activities/{claim.activity_id}/delete")
    assert response.status_code == 409
    assert "Claimed module” cannot be removed: learners hold credit claims for it" in text_of(
        response.text
    )


async def test_an_unpublished_course_s_hub_is_not_found(
    services: Services, signed_in: SignedIn, cast: Cast
) -> None:
    draft = await make_course(services, cast.admin, published=False)
    activity = await make_live(services, cast.admin, draft, starts_at=SESSION)
    http = await signed_in(cast.learner)
    assert (await http.get(f"/activities/{activity.id}/credit")).status_code == 404


async def test_a_withdrawn_certificate_is_shown_as_withdrawn(
    services: Services,
    signed_in: SignedIn,
    make_client: Callable[..., Client],
    cast: Cast,
    course: Course,
) -> None:
    claim, certificate = await claimed_participation(services, cast.admin, cast.learner, course)
    admin = await signed_in(cast.admin)
    response = await admin.form(
        f"/admin/claims/{claim.id}/correct", {"credits": "0", "reason": "Did not take part"}
    )
    assert response.status_code == 303
    anonymous = make_client("10.99.0.8")
    text = text_of((await anonymous.get(f"/verify/{certificate.code}")).text)
    assert "Withdrawn certificate" in text
    assert "it no longer confirms any credit" in text
    assert "hours of participation" not in text
    learner = await signed_in(cast.learner)
    assert (await learner.get(f"/certificates/{certificate.code}.pdf")).status_code == 404
    hub = text_of((await learner.get(f"/activities/{claim.activity_id}/credit")).text)
    assert "The CME office withdrew your claimed credit for this activity" in hub


async def test_the_on_demand_hub_shows_the_watching_and_the_post_test(
    services: Services, signed_in: SignedIn, cast: Cast, course: Course
) -> None:
    recording, activity = await published_recording(services, cast.admin, course, seconds=1800)
    await designate(services, activity, AMA, "0.50")
    await add_post_test(services, activity, pass_percent=80)
    await set_profile(services, cast.learner, "Dr. Maya Patel", "MD")
    await watch(services, recording, cast.learner, 40)
    http = await signed_in(cast.learner)
    page = await http.get(f"/activities/{activity.id}/credit")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "You have watched 40% of the recording; credit needs 95%." in text
    assert "Take the post-test (pass mark 80%)" in text
    assert "Before you can claim: Watch at least 95% (you have watched 40%) Pass the post-test" in (
        text
    )
    assert f'href="/activities/{activity.id}/post-test"' in page.text
    assert f'href="/recordings/{recording.id}"' in page.text
    assert input_value(page.text, AMA) is None
