"""Adding, editing and removing a course's activities through the admin pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.wiring import Services
from courses.models import Activity, Course
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, flashes, input_value, text_of
from tests.conftest import START, Client
from tests.factories.catalog import make_course, make_live, make_on_demand

LIVE = {
    "kind": "live", "title": "Case conference", "description": "Bring a case.",
    "timezone": "America/Chicago", "starts_at": "2026-12-10T09:00",
    "ends_at": "2026-12-10T10:30", "capacity": "40", "duration_minutes": "",
}
ON_DEMAND = {"kind": "on_demand", "title": "Recorded lecture", "duration_minutes": "45",
             "timezone": "", "starts_at": "", "ends_at": "", "capacity": ""}


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    return await make_course(services, cast.admin, title="Activities Course",
                             faculty_ids=[cast.faculty.id])


@pytest.fixture
async def faculty(cast: Cast, signed_in: SignedIn) -> Client:
    return await signed_in(cast.faculty)


def new_activity_url(course: Course) -> str:
    return f"/admin/courses/{course.id}/activities/new"


async def test_the_new_activity_page_offers_both_formats(course: Course, faculty: Client) -> None:
    live = await faculty.get(new_activity_url(course))
    assert live.status_code == 200 and "New live session" in live.text
    assert input_value(live.text, "timezone") == "America/New_York"
    on_demand = await faculty.get(new_activity_url(course) + "?kind=on_demand")
    assert "New on-demand item" in on_demand.text
    odd = await faculty.get(new_activity_url(course) + "?kind=<b>")
    assert odd.status_code == 200 and "New live session" in odd.text


async def test_faculty_add_a_live_session_in_its_own_time_zone(
    course: Course, faculty: Client, client: Client
) -> None:
    response = await faculty.form(new_activity_url(course), LIVE)
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/courses/{course.id}/edit"
    edit = await faculty.get(response.headers["location"])
    assert "Activity “Case conference” added." in flashes(edit.text)
    found = re.search(r'href="/admin/activities/(\d+)/edit"', edit.text)
    assert found
    page = await client.get(f"/activities/{found.group(1)}")
    assert page.status_code == 200
    text = text_of(page.text)
    # 09:00 in Chicago is 15:00 UTC: the page shows it in the session's zone
    assert "Thu 10 Dec 2026, 09:00 CST" in text and "Thu 10 Dec 2026, 10:30 CST" in text
    assert 'datetime="2026-12-10T15:00:00+00:00"' in page.text
    assert "40 participants" in text


async def test_faculty_add_an_on_demand_item(course: Course, faculty: Client,
                                             client: Client) -> None:
    response = await faculty.form(new_activity_url(course), ON_DEMAND)
    assert response.status_code == 303
    page = await client.get(f"/courses/{course.id}")
    assert "Recorded lecture" in page.text and "On demand · 45 min" in text_of(page.text)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"timezone": ""}, "timezone", "A live session needs a time zone."),
        ({"starts_at": ""}, "starts_at", "A live session needs a start date and time."),
        ({"ends_at": ""}, "ends_at", "A live session needs an end date and time."),
        ({"ends_at": "2026-12-10T08:00"}, "ends_at", "The session must end after it starts."),
        ({"ends_at": "2026-12-10T09:00"}, "ends_at", "The session must end after it starts."),
        ({"ends_at": "2026-12-11T10:00"}, "ends_at", "A live session lasts at most 24 hours."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone",
         "Use an IANA time zone name, like America/New_York or Europe/London."),
        ({"timezone": "../../etc/passwd"}, "timezone",
         "Use an IANA time zone name, like America/New_York or Europe/London."),
        ({"starts_at": "next Tuesday"}, "starts_at",
         "Enter a date and time like 2026-12-01T09:00."),
        ({"capacity": "0"}, "capacity", "Enter a number of at least 1."),
        ({"title": ""}, "title", "This field is required."),
        ({"kind": "webinar"}, "kind",
         "Choose 'live' for a live session or 'on_demand' for a recorded item."),
    ],
)
async def test_live_session_form_errors_are_422_and_name_the_field(
    course: Course, faculty: Client, changes: dict[str, str], field: str, message: str
) -> None:
    response = await faculty.form(new_activity_url(course), {**LIVE, **changes})
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert "Please correct the following:" in text_of(response.text)
    if field != "title":
        assert input_value(response.text, "title") == "Case conference"
    page = await faculty.get(f"/courses/{course.id}")
    assert "No activities yet." in page.text


async def test_an_on_demand_item_needs_its_length(course: Course, faculty: Client) -> None:
    response = await faculty.form(new_activity_url(course), {**ON_DEMAND, "duration_minutes": ""})
    assert response.status_code == 422
    assert field_error(response.text, "duration_minutes") == (
        "An on-demand item needs its length in minutes.")
    too_long = await faculty.form(new_activity_url(course),
                                  {**ON_DEMAND, "duration_minutes": "1441"})
    assert too_long.status_code == 422
    assert field_error(too_long.text, "duration_minutes") == "Enter a number of at most 1440."


@pytest.mark.parametrize(
    "junk",
    [{"starts_at": "2026-13-45T99:99"}, {"starts_at": "0000-00-00T00:00"},
     {"starts_at": "9999-12-31T23:59", "ends_at": "9999-12-31T23:59"},
     {"starts_at": "1-01-01T00:00", "ends_at": "1-01-01T01:00"},
     {"starts_at": "2026-12-10T09:00Z", "ends_at": "2026-12-10T10:00+05:00"},
     {"capacity": "99999999999999999999"}, {"timezone": "a\x00b"}, {"timezone": "x" * 1000},
     {"title": "t" * 201}, {"kind": ""}, {"unexpected": "field"}],
)
async def test_junk_activity_forms_are_never_a_server_error(
    course: Course, faculty: Client, junk: dict[str, str]
) -> None:
    response = await faculty.form(new_activity_url(course), {**LIVE, **junk})
    assert response.status_code in (303, 422), response.text[:500]


# -- editing and removing ------------------------------------------------------------------------
@pytest.fixture
async def session(services: Services, cast: Cast, course: Course) -> Activity:
    return await make_live(services, cast.admin, course, starts_at=START + timedelta(days=9),
                           title="Original title", timezone="Europe/London")


async def test_the_edit_page_shows_wall_clock_times(session: Activity, faculty: Client) -> None:
    page = await faculty.get(f"/admin/activities/{session.id}/edit")
    assert page.status_code == 200 and "Edit activity" in page.text
    assert input_value(page.text, "title") == "Original title"
    assert input_value(page.text, "timezone") == "Europe/London"
    assert input_value(page.text, "starts_at") == "2026-12-10T12:00"  # London is UTC in winter
    assert input_value(page.text, "ends_at") == "2026-12-10T13:00"


async def test_editing_an_activity_saves_it(
    course: Course, session: Activity, faculty: Client, client: Client
) -> None:
    response = await faculty.form(f"/admin/activities/{session.id}/edit", {
        **LIVE, "title": "New title", "timezone": "Europe/London",
        "starts_at": "2026-12-10T18:00", "ends_at": "2026-12-10T19:00"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/courses/{course.id}/edit"
    assert "Activity saved." in flashes((await faculty.get(response.headers["location"])).text)
    page = await client.get(f"/activities/{session.id}")
    assert "New title" in page.text and "18:00 GMT" in text_of(page.text)


async def test_edit_errors_are_422_and_change_nothing(
    session: Activity, faculty: Client, client: Client
) -> None:
    response = await faculty.form(f"/admin/activities/{session.id}/edit", {
        **LIVE, "title": "Broken", "starts_at": "2026-12-10T10:00",
        "ends_at": "2026-12-10T09:00"})
    assert response.status_code == 422
    assert field_error(response.text, "ends_at") == "The session must end after it starts."
    assert input_value(response.text, "title") == "Broken"
    assert "Edit activity" in response.text
    assert "Original title" in (await client.get(f"/activities/{session.id}")).text


async def test_switching_a_session_to_on_demand(
    session: Activity, faculty: Client, client: Client
) -> None:
    response = await faculty.form(f"/admin/activities/{session.id}/edit", {
        **LIVE, "kind": "on_demand", "duration_minutes": "30"})
    assert response.status_code == 303
    page = await client.get(f"/activities/{session.id}")
    assert "On demand · 30 min" in text_of(page.text)


async def test_removing_an_activity(
    services: Services, cast: Cast, course: Course, session: Activity, faculty: Client,
    client: Client
) -> None:
    keep = await make_on_demand(services, cast.admin, course, title="Keeper")
    response = await faculty.form(f"/admin/activities/{session.id}/delete")
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/courses/{course.id}/edit"
    assert "Activity removed." in flashes((await faculty.get(response.headers["location"])).text)
    assert (await client.get(f"/activities/{session.id}")).status_code == 404
    assert (await client.get(f"/activities/{keep.id}")).status_code == 200
    again = await faculty.form(f"/admin/activities/{session.id}/delete")
    assert again.status_code == 404


async def test_other_faculty_cannot_touch_the_activities(
    cast: Cast, session: Activity, signed_in: SignedIn, client: Client
) -> None:
    other = await signed_in(cast.other_faculty)
    for url, data in [(f"/admin/activities/{session.id}/edit", {**LIVE, "title": "Hijacked"}),
                      (f"/admin/activities/{session.id}/delete", {})]:
        response = await other.form(url, data)
        assert response.status_code == 403
        assert "Only this course's faculty and administrators may do that." in text_of(
            response.text)
    page = await client.get(f"/activities/{session.id}")
    assert page.status_code == 200 and "Original title" in page.text


async def test_a_live_session_can_be_set_to_record_itself(
    course: Course, session: Activity, faculty: Client, services: Services
) -> None:
    url = f"/admin/activities/{session.id}/edit"
    response = await faculty.form(url, {**LIVE, "auto_record": "on"})
    assert response.status_code == 303
    assert 'name="auto_record" checked' in (await faculty.get(url)).text
    async with services.unit() as unit:
        assert (await unit.session.get(Activity, session.id)).auto_record is True
    # the room page's join token carries the setting to the signaling server
    room = await faculty.get(f"/activities/{session.id}/live")
    token = re.search(r'data-token="([^"]+)"', room.text)
    assert token
    from app.join_tokens import JoinTokens

    assert JoinTokens(services.secret_key).verify(token.group(1)).auto_record is True
    # unticking the box (a form sends nothing for it) turns it off
    assert (await faculty.form(url, LIVE)).status_code == 303
    async with services.unit() as unit:
        assert (await unit.session.get(Activity, session.id)).auto_record is False
    assert 'name="auto_record" checked' not in (await faculty.get(url)).text
