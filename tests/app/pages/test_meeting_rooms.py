"""A meeting's room page: hosts and invitees by account, guests by the link in their
invitation (a display name first, nothing else of Rounds), and when the room is open."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from starlette.applications import Starlette

from app.join_tokens import JoinGrant
from app.wiring import Services
from courses.meetings import MeetingChange, MeetingService
from courses.models import MeetingInvitee
from courses.rooms import Person, RoomPolicyService
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, text_of
from tests.conftest import Client, MovableClock
from tests.factories.meetings import make_meeting

# The factory's meeting: Monday 7 December 2026, 09:00-10:00 New York (14:00-15:00 UTC).
STARTS = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def grant_on(page: str, app: Starlette) -> JoinGrant:
    token = re.search(r'data-token="([^"]+)"', page)
    assert token, page[:2000]
    grant: JoinGrant = app.state.join_tokens.verify(html.unescape(token.group(1)))
    return grant


@pytest.fixture
async def meeting(services: Services, cast: Cast) -> tuple[MeetingChange, str]:
    change = await make_meeting(services, cast.faculty, invitees=[cast.learner],
                                guests="Dr Guest <guest@partner.example.com>")
    token = next(n.guest_token for n in change.invitations if n.guest)
    assert token
    return change, token


async def test_the_organizer_hosts_and_an_invitee_takes_part(
    app: Starlette, cast: Cast, signed_in: SignedIn, clock: MovableClock,
    meeting: tuple[MeetingChange, str],
) -> None:
    change, _ = meeting
    clock.at = STARTS.replace(hour=13, minute=50)
    meeting_id = change.meeting.id
    organizer = await signed_in(cast.faculty)
    page = await organizer.get(f"/meetings/{meeting_id}/room")
    assert page.status_code == 200, page.text[:500]
    grant = grant_on(page.text, app)
    assert (grant.room_id, grant.is_host, grant.role, grant.guest_id) == (
        f"meeting-{meeting_id}", True, "host", None)
    assert grant.starts_at == STARTS.isoformat()
    assert "Join meeting" in page.text and 'data-noun="meeting"' in page.text

    learner = await signed_in(cast.learner)
    page = await learner.get(f"/meetings/{meeting_id}/room")
    grant = grant_on(page.text, app)
    assert (grant.is_host, grant.user_id, grant.can_share_screen) == (False, cast.learner.id, False)
    fresh = await learner.api("POST", f"/meetings/{meeting_id}/room/token")
    assert fresh.status_code == 200 and fresh.json()["room_id"] == f"meeting-{meeting_id}"

    outsider = await signed_in(cast.other_faculty)
    assert (await outsider.get(f"/meetings/{meeting_id}/room")).status_code == 404


async def test_the_room_opens_shortly_before_each_occurrence(
    cast: Cast, signed_in: SignedIn, clock: MovableClock, meeting: tuple[MeetingChange, str],
) -> None:
    change, _ = meeting
    path = f"/meetings/{change.meeting.id}/room"
    learner = await signed_in(cast.learner)
    organizer = await signed_in(cast.faculty)
    clock.at = STARTS.replace(hour=13, minute=30)  # 30 minutes before
    early = await learner.get(path)
    assert early.status_code == 409 and "opens 15 minutes before" in text_of(early.text)
    assert (await organizer.get(path)).status_code == 200  # hosts from an hour before
    clock.at = STARTS.replace(hour=15, minute=29)  # within the overrun grace
    assert (await learner.get(path)).status_code == 200
    clock.at = STARTS.replace(hour=15, minute=31)
    over = await learner.get(path)
    assert over.status_code == 410 and "has ended" in text_of(over.text)


async def test_a_cancelled_meeting_has_no_room(
    services: Services, cast: Cast, signed_in: SignedIn, clock: MovableClock,
    meeting: tuple[MeetingChange, str],
) -> None:
    change, _ = meeting
    async with services.unit() as unit:
        await MeetingService(unit.session, unit.clock).cancel(change.meeting.id or 0, cast.faculty)
    clock.at = STARTS
    learner = await signed_in(cast.learner)
    response = await learner.get(f"/meetings/{change.meeting.id}/room")
    assert response.status_code == 409 and "cancelled" in text_of(response.text)


async def test_a_guest_gives_a_name_and_joins_seeing_nothing_else(
    app: Starlette, services: Services, client: Client, clock: MovableClock,
    meeting: tuple[MeetingChange, str],
) -> None:
    change, token = meeting
    clock.at = STARTS
    path = f"/meetings/{change.meeting.id}/join/{token}"
    first = await client.get(path)
    assert first.status_code == 200
    assert 'value="Dr Guest"' in first.text  # the name on the invitation, to change
    assert 'href="/catalog"' not in first.text and 'href="/signin"' not in first.text

    blank = await client.form(path, {"display_name": "   "})
    assert blank.status_code == 422 and "Enter the name" in text_of(blank.text)

    page = await client.form(path, {"display_name": "Dr. Grace Guest <b>"})
    assert page.status_code == 200
    grant = grant_on(page.text, app)
    invitee = next(n for n in change.invitations if n.guest)
    assert (grant.guest_id, grant.user_id, grant.role, grant.is_host) == (
        invitee.invitee_id, 0, "guest", False)
    assert grant.display_name == "Dr. Grace Guest <b>"
    assert "&lt;b&gt;" in page.text and 'href="/catalog"' not in page.text
    async with services.unit() as unit:
        row = await unit.session.get(MeetingInvitee, invitee.invitee_id)
        assert row is not None and row.name == "Dr. Grace Guest <b>"
    fresh = await client.api("POST", f"{path}/token")
    assert fresh.status_code == 200
    again = app.state.join_tokens.verify(fresh.json()["token"])
    assert again.guest_id == invitee.invitee_id and again.display_name == "Dr. Grace Guest <b>"


async def test_a_guest_link_for_another_meeting_or_after_the_end_is_refused(
    services: Services, cast: Cast, client: Client, clock: MovableClock,
    meeting: tuple[MeetingChange, str],
) -> None:
    change, token = meeting
    other = await make_meeting(services, cast.faculty, title="Another")
    clock.at = STARTS
    wrong = await client.get(f"/meetings/{other.meeting.id}/join/{token}")
    assert wrong.status_code == 404 and "not valid for this meeting" in text_of(wrong.text)
    forged = await client.get(f"/meetings/{change.meeting.id}/join/not-a-real-token")
    assert forged.status_code == 404
    clock.at = STARTS.replace(hour=16)
    ended = await client.get(f"/meetings/{change.meeting.id}/join/{token}")
    assert ended.status_code == 410 and "has ended" in text_of(ended.text)
    assert 'href="/catalog"' not in ended.text  # a guest still sees nothing else of Rounds
    assert "ask the person who invited you" in text_of(ended.text)
    posted = await client.form(f"/meetings/{change.meeting.id}/join/{token}",
                               {"display_name": "Late"})
    assert posted.status_code == 410


async def test_someone_removed_for_good_cannot_get_back_in(
    services: Services, cast: Cast, client: Client, signed_in: SignedIn, clock: MovableClock,
    meeting: tuple[MeetingChange, str],
) -> None:
    change, token = meeting
    invitee = next(n for n in change.invitations if n.guest)
    room_id = f"meeting-{change.meeting.id}"
    async with services.unit() as unit:
        policies = RoomPolicyService(unit.session, unit.clock)
        await policies.ban(room_id, Person(user_id=cast.learner.id), "Learner", cast.faculty.id)
        await policies.ban(room_id, Person(guest_id=invitee.invitee_id), "Guest", cast.faculty.id)
    clock.at = STARTS
    learner = await signed_in(cast.learner)
    refused = await learner.get(f"/meetings/{change.meeting.id}/room")
    assert refused.status_code == 410 and "removed you" in text_of(refused.text)
    guest = await client.get(f"/meetings/{change.meeting.id}/join/{token}")
    assert guest.status_code == 410


async def test_the_dashboard_offers_join_once_the_room_is_open(
    cast: Cast, signed_in: SignedIn, clock: MovableClock, meeting: tuple[MeetingChange, str],
) -> None:
    change, _ = meeting
    join = f'href="/meetings/{change.meeting.id}/room"'
    learner = await signed_in(cast.learner)
    organizer = await signed_in(cast.faculty)
    clock.at = STARTS.replace(hour=13, minute=30)
    assert join not in (await learner.get("/dashboard")).text
    assert join in (await organizer.get("/dashboard")).text  # hosts an hour before
    clock.at = STARTS.replace(hour=13, minute=46)
    assert join in (await learner.get("/dashboard")).text
