"""The catalog's search and filters, course and activity pages, enrolling and the waitlist."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.wiring import Services
from courses.models import Course, Role, User
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, flashes, text_of
from tests.conftest import START, Client, MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user

SEPSIS, HEART, STROKE, DRAFT = (
    "Sepsis Bundle Update", "Heart Failure Basics", "Stroke Alert Pathway", "Hidden Draft")


def card_titles(page: str) -> list[str]:
    return re.findall(r'<h2><a href="/courses/\d+">([^<]+)</a></h2>', page)


@dataclass
class Shelf:
    sepsis: Course
    heart: Course
    stroke: Course
    draft: Course


@pytest.fixture
async def shelf(services: Services, cast: Cast) -> Shelf:
    admin = cast.admin
    sepsis = await make_course(services, admin, title=SEPSIS, tags="sepsis, critical-care",
                               summary="Early antibiotics save lives.")
    await make_live(services, admin, sepsis, starts_at=START + timedelta(days=3))
    heart = await make_course(services, admin, title=HEART, tags="cardiology",
                              description="Loop diuretics and beyond.")
    await make_on_demand(services, admin, heart)
    stroke = await make_course(services, admin, title=STROKE, tags="neurology, critical-care")
    await make_live(services, admin, stroke, starts_at=START + timedelta(days=5))
    await make_on_demand(services, admin, stroke)
    draft = await make_course(services, admin, title=DRAFT, published=False,
                              tags="sepsis, secret-topic", summary="sepsis in draft",
                              faculty_ids=[cast.faculty.id])
    await make_on_demand(services, admin, draft, title="Draft module")
    return Shelf(sepsis, heart, stroke, draft)


# -- the catalog ------------------------------------------------------------------------------
async def test_everyone_sees_the_published_courses_in_title_order(
    client: Client, shelf: Shelf
) -> None:
    page = await client.get("/catalog")
    assert page.status_code == 200
    assert card_titles(page.text) == [HEART, SEPSIS, STROKE]


async def test_the_topic_list_only_offers_published_topics(client: Client, shelf: Shelf) -> None:
    page = await client.get("/catalog")
    topics = re.findall(r'<option value="([^"]+)"', page.text.split('id="format"')[0])
    assert topics == ["cardiology", "critical-care", "neurology", "sepsis"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "sepsis"}, [SEPSIS]),  # title and tag; the draft's summary is not searched
        ({"q": "  SEPSIS  "}, [SEPSIS]),
        ({"q": "antibiotics"}, [SEPSIS]),  # summary
        ({"q": "DIURETICS"}, [HEART]),  # description
        ({"q": "critical"}, [SEPSIS, STROKE]),  # part of a tag
        ({"q": "no such topic"}, []),
        ({"tag": "critical-care"}, [SEPSIS, STROKE]),
        ({"tag": "Cardiology"}, [HEART]),
        ({"tag": "secret-topic"}, []),  # only the draft has it
        ({"tag": "unknown"}, []),
        ({"format": "live"}, [SEPSIS, STROKE]),
        ({"format": "on_demand"}, [HEART, STROKE]),
        ({"format": "hologram"}, [HEART, SEPSIS, STROKE]),  # unknown format: no filter
        ({"q": "stroke", "format": "on_demand"}, [STROKE]),
        ({"tag": "critical-care", "format": "on_demand"}, [STROKE]),
        ({"tag": "critical-care", "q": "sepsis"}, [SEPSIS]),
        ({"tag": "cardiology", "format": "live"}, []),
    ],
)
async def test_search_and_filters(
    client: Client, shelf: Shelf, query: dict[str, str], expected: list[str]
) -> None:
    page = await client.get("/catalog", params=query)
    assert page.status_code == 200
    assert card_titles(page.text) == expected
    if not expected:
        assert "No courses match" in text_of(page.text)
    if query.get("format") in ("live", "on_demand"):
        assert f'<option value="{query["format"]}" selected>' in page.text


async def test_the_search_box_keeps_the_query_escaped(client: Client, shelf: Shelf) -> None:
    page = await client.get("/catalog", params={"q": '<script>alert("x")</script>'})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "No courses match “<script>alert(\"x\")</script>”" in text_of(page.text)


@pytest.mark.parametrize(
    "query",
    [{"page": "abc"}, {"page": "0"}, {"page": "-1"}, {"page": "²"}, {"page": "9" * 40},
     {"q": "a\x00b"}, {"tag": "a\x00b"}, {"q": "x" * 5000}, {"q": "%_\\'\""}],
)
async def test_odd_queries_are_answered_not_crashed(
    client: Client, shelf: Shelf, query: dict[str, str]
) -> None:
    page = await client.get("/catalog", params=query)
    assert page.status_code == 200


async def test_drafts_are_listed_for_admins_and_their_faculty_only(
    shelf: Shelf, cast: Cast, signed_in: SignedIn
) -> None:
    for person, sees in [(cast.learner, False), (cast.other_faculty, False),
                         (cast.faculty, True), (cast.admin, True)]:
        page = await (await signed_in(person)).get("/catalog")
        assert (DRAFT in card_titles(page.text)) is sees, person.role
        if sees:
            assert '<span class="badge badge-draft">Draft</span>' in page.text


async def test_my_courses_carry_their_status_in_the_catalog(
    services: Services, shelf: Shelf, cast: Cast, signed_in: SignedIn
) -> None:
    learner = await signed_in(cast.learner)
    await learner.form(f"/courses/{shelf.heart.id}/enroll")
    page = await learner.get("/catalog")
    cards = page.text.split('<li class="card">')[1:]
    heart_card = next(c for c in cards if HEART in c)
    assert '<span class="badge badge-enrolled">Enrolled</span>' in heart_card
    assert all("badge-enrolled" not in c for c in cards if HEART not in c)


# -- course and activity pages --------------------------------------------------------------------
async def test_course_page_shows_the_course_and_invites_sign_in(
    client: Client, shelf: Shelf
) -> None:
    page = await client.get(f"/courses/{shelf.stroke.id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert STROKE in text and "Live session" in text and "Module" in text
    assert f'href="/signin?next=/courses/{shelf.stroke.id}"' in page.text
    assert f'action="/courses/{shelf.stroke.id}/enroll"' not in page.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/courses/999999", "There is no course with id 999999."),
        ("/activities/999999", "There is no activity with id 999999."),
        ("/courses/abc", "There is no page at this address."),
        ("/courses/-1", "There is no page at this address."),
        ("/admin/courses/999999/edit", "There is no course with id 999999."),
        ("/admin/activities/999999/edit", "There is no activity with id 999999."),
        ("/admin/courses/999999/enrollments", "There is no course with id 999999."),
        ("/admin/courses/999999/activities/new", "There is no course with id 999999."),
        ("/no/such/page", "There is no page at this address."),
        # ids no database column can hold (PostgreSQL's are 32-bit) are simply not found
        ("/courses/0", "There is no course with id 0."),
        ("/courses/2147483648", "There is no course with id 2147483648."),
        ("/activities/99999999999999999999", "There is no activity with id 99999999999999999999."),
        ("/admin/courses/9223372036854775808/edit",
         "There is no course with id 9223372036854775808."),
        ("/admin/activities/2147483648/edit", "There is no activity with id 2147483648."),
        ("/admin/courses/2147483648/enrollments", "There is no course with id 2147483648."),
        ("/admin/courses/2147483648/activities/new", "There is no course with id 2147483648."),
    ],
)
async def test_unknown_ids_are_a_404_page(
    shelf: Shelf, cast: Cast, signed_in: SignedIn, url: str, message: str
) -> None:
    admin = await signed_in(cast.admin)
    page = await admin.get(url)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    text = text_of(page.text)
    assert "Not found" in text and message in text


async def test_unknown_course_in_a_form_is_404(shelf: Shelf, cast: Cast,
                                               signed_in: SignedIn) -> None:
    learner = await signed_in(cast.learner)
    for course_id in (999999, 2**31, 10**20):
        for action in ("enroll", "unenroll"):
            response = await learner.form(f"/courses/{course_id}/{action}")
            assert response.status_code == 404
            assert f"There is no course with id {course_id}." in text_of(response.text)


async def test_an_unpublished_course_is_not_found_for_learners(
    client: Client, shelf: Shelf, cast: Cast, signed_in: SignedIn
) -> None:
    learner = await signed_in(cast.learner)
    draft_activity = (await (await signed_in(cast.admin)).get(f"/courses/{shelf.draft.id}"))
    activity_id = re.search(r'href="/activities/(\d+)"', draft_activity.text)
    assert activity_id
    for http in (client, learner):
        course = await http.get(f"/courses/{shelf.draft.id}")
        assert course.status_code == 404
        assert f"There is no course with id {shelf.draft.id}." in text_of(course.text)
        assert DRAFT not in course.text
        activity = await http.get(f"/activities/{activity_id.group(1)}")
        assert activity.status_code == 404 and "Draft module" not in activity.text
    enroll = await learner.form(f"/courses/{shelf.draft.id}/enroll")
    assert enroll.status_code == 404
    staff = await (await signed_in(cast.faculty)).get(f"/courses/{shelf.draft.id}")
    assert staff.status_code == 200
    assert "Draft: only faculty and admins see this course" in text_of(staff.text)


async def test_activity_page_says_whether_i_may_attend(
    services: Services, shelf: Shelf, cast: Cast, signed_in: SignedIn, clock: MovableClock
) -> None:
    course = await make_course(services, cast.admin, title="Attendance")
    live = await make_live(services, cast.admin, course, starts_at=START + timedelta(hours=2),
                           title="Grand rounds", timezone="America/Chicago")
    learner = await signed_in(cast.learner)
    page = await learner.get(f"/activities/{live.id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Grand rounds" in text and "America/Chicago" in text
    assert "Tue 01 Dec 2026, 08:00 CST" in text  # 14:00 UTC shown in the session's zone
    assert "Enroll in the course to attend this session." in text
    room_link = f'href="/activities/{live.id}/live">Join the live session</a>'
    assert room_link not in page.text
    await learner.form(f"/courses/{course.id}/enroll")
    enrolled = await learner.get(f"/activities/{live.id}")
    assert "You are registered for this session." in text_of(enrolled.text)
    assert room_link in enrolled.text
    host = await (await signed_in(cast.admin)).get(f"/activities/{live.id}")
    assert room_link in host.text  # managers join (and host) without enrolling
    clock.at = START + timedelta(hours=4)
    ended = await learner.get(f"/activities/{live.id}")
    assert "This live session has ended." in text_of(ended.text)
    assert room_link not in ended.text


# -- enrolling, the waitlist, leaving ---------------------------------------------------------
async def _learners(services: Services, n: int) -> list[User]:
    return [await make_user(services, Role.LEARNER, name=f"Waiting {i}") for i in range(n)]


def _status(page: str) -> str:
    found = re.search(r'<p class="status" role="status">(.*?)</p>', page, re.S)
    return text_of(found.group(1)) if found else ""


async def test_a_full_course_puts_learners_on_the_waitlist_in_order(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, title="One Seat", capacity=1)
    first, second, third, fourth = [await signed_in(u) for u in await _learners(services, 4)]

    took = await first.form(f"/courses/{course.id}/enroll")
    assert took.status_code == 303 and took.headers["location"] == f"/courses/{course.id}"
    page = await first.get(f"/courses/{course.id}")
    assert "You are enrolled." in flashes(page.text)
    assert "You are enrolled in this course." in _status(page.text)
    assert "1 of 1 seats taken" in text_of(page.text)

    waits = await second.form(f"/courses/{course.id}/enroll")
    assert waits.status_code == 303
    page = await second.get(f"/courses/{course.id}")
    assert any("This course is full. You are number 1 on the waitlist" in f
               for f in flashes(page.text))
    assert "You are number 1 on the waitlist." in _status(page.text)

    await third.form(f"/courses/{course.id}/enroll")
    page = await third.get(f"/courses/{course.id}")
    assert "You are number 2 on the waitlist." in _status(page.text)
    assert "1 of 1 seats taken · 2 on the waitlist" in text_of(page.text)

    page = await fourth.get(f"/courses/{course.id}")
    assert "Join the waitlist" in page.text


async def test_enrolling_twice_changes_nothing_and_is_not_an_error(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, title="Twice", capacity=1)
    seated, waiting = [await signed_in(u) for u in await _learners(services, 2)]
    await seated.form(f"/courses/{course.id}/enroll")
    await waiting.form(f"/courses/{course.id}/enroll")
    await seated.get(f"/courses/{course.id}")  # read the first flash
    await waiting.get(f"/courses/{course.id}")

    again = await seated.form(f"/courses/{course.id}/enroll")
    assert again.status_code == 303
    page = await seated.get(f"/courses/{course.id}")
    assert "You were already enrolled." in flashes(page.text)
    assert "1 of 1 seats taken · 1 on the waitlist" in text_of(page.text)

    again = await waiting.form(f"/courses/{course.id}/enroll")
    assert again.status_code == 303
    page = await waiting.get(f"/courses/{course.id}")
    assert "You are number 1 on the waitlist." in _status(page.text)
    assert "1 of 1 seats taken · 1 on the waitlist" in text_of(page.text)
    assert not any(f.startswith(("Enrollment is closed", "There is")) for f in flashes(page.text))


async def test_leaving_frees_the_seat_for_the_next_on_the_waitlist(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, title="Musical Chairs", capacity=1)
    seated, next_in_line, later = [await signed_in(u) for u in await _learners(services, 3)]
    for http in (seated, next_in_line, later):
        await http.form(f"/courses/{course.id}/enroll")

    left = await seated.form(f"/courses/{course.id}/unenroll")
    assert left.status_code == 303 and left.headers["location"] == f"/courses/{course.id}"
    page = await seated.get(f"/courses/{course.id}")
    assert "You have left this course." in flashes(page.text)
    assert _status(page.text) == ""
    assert "Join the waitlist" in page.text  # the seat went straight to the next in line

    page = await next_in_line.get(f"/courses/{course.id}")
    assert "You are enrolled in this course." in _status(page.text)
    assert "Musical Chairs" in (await next_in_line.get("/dashboard")).text
    page = await later.get(f"/courses/{course.id}")
    assert "You are number 1 on the waitlist." in _status(page.text)

    # leaving again is a quiet no-op
    again = await seated.form(f"/courses/{course.id}/unenroll")
    assert again.status_code == 303
    assert flashes((await seated.get(f"/courses/{course.id}")).text) == []


async def test_leaving_the_waitlist_moves_the_others_up(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, title="Queue", capacity=1)
    seated, first, second = [await signed_in(u) for u in await _learners(services, 3)]
    for http in (seated, first, second):
        await http.form(f"/courses/{course.id}/enroll")
    await first.form(f"/courses/{course.id}/unenroll")
    page = await second.get(f"/courses/{course.id}")
    assert "You are number 1 on the waitlist." in _status(page.text)
    page = await seated.get(f"/courses/{course.id}")
    assert "You are enrolled in this course." in _status(page.text)


async def test_enrollment_closes_when_every_session_is_over(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, title="Yesterday's Talk")
    await make_live(services, cast.admin, course, starts_at=START - timedelta(days=1))
    learner = await signed_in(cast.learner)
    response = await learner.form(f"/courses/{course.id}/enroll")
    assert response.status_code == 303 and response.headers["location"] == f"/courses/{course.id}"
    page = await learner.get(f"/courses/{course.id}")
    assert any(f.startswith("Enrollment is closed") for f in flashes(page.text))
    assert _status(page.text) == ""
    assert "ended" in text_of(page.text)


async def test_topic_links_lead_back_to_their_courses(
    client: Client, services: Services, cast: Cast
) -> None:
    """Tags may hold '+', which a query string reads as a space unless it is encoded."""
    course = await make_course(services, cast.admin, title="Modern C++ for Clinicians",
                               tags="c++, informatics")
    for page_url in ("/catalog", f"/courses/{course.id}"):
        page = await client.get(page_url)
        links = set(re.findall(r'<a class="tag" href="([^"]+)">c\+\+</a>', page.text))
        assert links, page_url
        for link in links:
            listed = await client.get(link.replace("&amp;", "&"))
            assert card_titles(listed.text) == ["Modern C++ for Clinicians"], link


async def test_the_catalog_pages_through_many_courses(
    client: Client, services: Services, cast: Cast
) -> None:
    for n in range(26):
        await make_course(services, cast.admin, title=f"Paged Course {n:02d}", tags="paged")
    first = await client.get("/catalog", params={"tag": "paged"})
    assert card_titles(first.text) == [f"Paged Course {n:02d}" for n in range(24)]
    following = re.search(r'<a href="(\?[^"]+)">Next</a>', first.text)
    assert following and "Previous</a>" not in first.text
    second = await client.get("/catalog" + following.group(1).replace("&amp;", "&"))
    assert card_titles(second.text) == ["Paged Course 24", "Paged Course 25"]
    assert "Next</a>" not in second.text and "Previous</a>" in second.text


async def test_course_text_is_shown_as_text_never_as_markup(
    client: Client, services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    title = '<img src=x onerror="alert(1)">Course'
    course = await make_course(services, cast.admin, title=title,
                               summary="<script>alert(2)</script>",
                               description="<b>bold</b>\n\n<i>claim</i>")
    await make_live(services, cast.admin, course, starts_at=START + timedelta(days=1),
                    title="<script>alert(3)</script>")
    learner = await signed_in(cast.learner)
    await learner.form(f"/courses/{course.id}/enroll")
    for http, url in [(client, "/catalog"), (client, f"/courses/{course.id}"),
                      (learner, "/dashboard")]:
        page = (await http.get(url)).text
        assert "<img src=x" not in page and "<script>alert" not in page, url
        assert "<b>bold</b>" not in page
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Course" in page, url
