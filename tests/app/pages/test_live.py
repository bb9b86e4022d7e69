"""The live room page: who gets in, when, and the join token it hands the browser."""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.applications import Starlette

from app.join_tokens import JoinTokens
from app.wiring import Services
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast
from tests.conftest import START, MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user


def _token(page: str) -> str:
    found = re.search(r'data-token="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


async def test_enrolled_learner_gets_a_room_page_with_a_join_token(
    app: Starlette, services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, faculty_ids=[cast.faculty.id])
    live = await make_live(services, cast.admin, course, starts_at=START + timedelta(minutes=5),
                           title="Sepsis huddle")
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, cast.learner.id or 0, actor=cast.learner)
    http = await signed_in(cast.learner)
    page = await http.get(f"/activities/{live.id}/live")
    assert page.status_code == 200
    assert "Sepsis huddle" in page.text and 'id="join-button"' in page.text
    grant = JoinTokens(services.secret_key).verify(_token(page.text))
    assert grant.room_id == f"activity-{live.id}"
    assert grant.user_id == cast.learner.id and not grant.is_host
    assert not grant.can_share_screen
    assert grant.starts_at == "2026-12-01T12:05:00+00:00"


async def test_faculty_hosts_and_may_share_their_screen(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, faculty_ids=[cast.faculty.id])
    live = await make_live(services, cast.admin, course, starts_at=START + timedelta(days=3))
    http = await signed_in(cast.faculty)
    page = await http.get(f"/activities/{live.id}/live")
    assert page.status_code == 200  # hosts may open the room early
    grant = JoinTokens(services.secret_key).verify(_token(page.text))
    assert grant.is_host and grant.can_share_screen and grant.role == "host"


async def test_learners_are_kept_out_until_shortly_before_the_start_and_after_the_end(
    services: Services, cast: Cast, signed_in: SignedIn, clock: MovableClock
) -> None:
    course = await make_course(services, cast.admin)
    live = await make_live(services, cast.admin, course, starts_at=START + timedelta(hours=1),
                           minutes=60)
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, cast.learner.id or 0, actor=cast.learner)
    http = await signed_in(cast.learner)
    early = await http.get(f"/activities/{live.id}/live")
    assert early.status_code == 409 and "opens 15 minutes before" in early.text
    clock.at = START + timedelta(minutes=46)
    assert (await http.get(f"/activities/{live.id}/live")).status_code == 200
    clock.at = START + timedelta(hours=2, minutes=31)  # past the end and the 30 min grace
    over = await http.get(f"/activities/{live.id}/live")
    assert over.status_code == 410 and "has ended" in over.text


async def test_unenrolled_and_waitlisted_learners_are_refused(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, capacity=1)
    live = await make_live(services, cast.admin, course, starts_at=START)
    first = await make_user(services)
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, first.id or 0, actor=first)
        await unit.enrollment.enroll(course.id or 0, cast.learner.id or 0, actor=cast.learner)
    http = await signed_in(cast.learner)  # on the waitlist
    refused = await http.get(f"/activities/{live.id}/live")
    assert refused.status_code == 403
    assert "Enroll from the course page" in refused.text


async def test_on_demand_items_have_no_room(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin)
    item = await make_on_demand(services, cast.admin, course)
    http = await signed_in(cast.admin)
    response = await http.get(f"/activities/{item.id}/live")
    assert response.status_code == 404
    assert "not a live session" in response.text


async def test_a_fresh_token_for_reconnecting(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, faculty_ids=[cast.faculty.id])
    live = await make_live(services, cast.admin, course, starts_at=START)
    http = await signed_in(cast.faculty)
    response = await http.post(f"/activities/{live.id}/live/token",
                               headers={"X-CSRF-Token": await http.csrf()})
    assert response.status_code == 200
    grant = JoinTokens(services.secret_key).verify(response.json()["token"])
    assert grant.room_id == response.json()["room_id"] == f"activity-{live.id}"
    forged = await http.post(f"/activities/{live.id}/live/token")
    assert forged.status_code == 403  # no CSRF token
