"""Scheduling, editing and cancelling meetings; who sees them; invitees and guest tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.wiring import Services
from courses.errors import InvalidInput, PermissionDenied
from courses.meetings import MeetingCancelled, MeetingNotFound, MeetingService
from courses.models import Role, User
from tests.conftest import MovableClock
from tests.factories.meetings import make_meeting, meeting_form
from tests.factories.people import make_user


@pytest.fixture
async def faculty(services: Services) -> User:
    return await make_user(services, Role.FACULTY, name="Fay Faculty")


@pytest.fixture
async def learner(services: Services) -> User:
    return await make_user(services, Role.LEARNER, name="Lea Learner")


async def test_scheduling_stores_utc_times_and_invites_users_and_guests(
    services: Services, faculty: User, learner: User
) -> None:
    change = await make_meeting(
        services,
        faculty,
        invitees=[learner],
        guests="Dr Guest <Guest@Partner.Example.com>\nplain@partner.example.com",
        recurrence="weekly",
        count="4",
    )
    meeting = change.meeting
    assert meeting.starts_at == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert (meeting.recurrence, meeting.recurrence_count, meeting.sequence) == ("weekly", 4, 0)
    assert meeting.uid.endswith("@rounds.meetings")
    people = {n.person.email: n for n in change.invitations}
    assert set(people) == {learner.email, "guest@partner.example.com", "plain@partner.example.com"}
    assert people["guest@partner.example.com"].person.name == "Dr Guest"
    assert people["guest@partner.example.com"].guest
    assert not people[learner.email].guest and people[learner.email].guest_token is None
    token = people["plain@partner.example.com"].guest_token
    assert token
    async with services.unit() as unit:
        service = MeetingService(unit.session, unit.clock)
        found = await service.guest_by_token(meeting.id or 0, token)
        assert found is not None and found.email == "plain@partner.example.com"
        assert found.guest_token_hash != token
        assert await service.guest_by_token(meeting.id or 0, token + "x") is None
        assert await service.guest_by_token((meeting.id or 0) + 1, token) is None


async def test_a_guest_address_of_an_account_invites_the_account(
    services: Services, faculty: User, learner: User
) -> None:
    change = await make_meeting(services, faculty, guests=learner.email.upper())
    assert [(n.person.email, n.guest) for n in change.invitations] == [(learner.email, False)]


async def test_learners_cannot_schedule(services: Services, learner: User) -> None:
    with pytest.raises(PermissionDenied, match="faculty or admin role; your account is learner"):
        await make_meeting(services, learner)


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"title": ""}, "title", "title"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a time zone"),
        ({"ends_at": "2026-12-07T08:00"}, "ends_at", "end after it starts"),
        ({"ends_at": "2026-12-07T21:30"}, "ends_at", "at most 12 hours"),
        ({"starts_at": "tomorrow"}, "starts_at", "not a date"),
        ({"recurrence": "daily"}, "recurrence", "weekly or monthly"),
        ({"recurrence": "weekly"}, "count", "how many times"),
        ({"recurrence": "weekly", "count": "53"}, "count", "1 to 52"),
        ({"recurrence": "weekly", "count": "2", "until": "2027-01-01"}, "until", "not both"),
        ({"recurrence": "monthly", "until": "2026-12-01"}, "until", "on or after"),
        ({"recurrence": "monthly", "until": "2029-12-01"}, "until", "two years"),
        ({"guests": "ok@example.org\nnot an address"}, "guests", "line 2"),
        ({"invitee_ids": ["abc"]}, "invitee_ids", "from the list"),
        ({"invitee_ids": ["99999"]}, "invitee_ids", "active account"),
        ({"starts_at": "2026-11-30T09:00", "ends_at": "2026-11-30T10:00"}, "starts_at", "future"),
    ],
)
async def test_bad_input_names_the_field(
    services: Services, faculty: User, overrides: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        async with services.unit() as unit:
            await MeetingService(unit.session, unit.clock).schedule(
                meeting_form(**overrides), faculty
            )
    assert says in caught.value.errors[field], caught.value.errors


async def test_who_sees_a_meeting(services: Services, faculty: User, learner: User) -> None:
    admin = await make_user(services, Role.ADMIN)
    other = await make_user(services, Role.FACULTY)
    meeting = (
        await make_meeting(services, faculty, invitees=[learner], guests="g@example.org")
    ).meeting
    async with services.unit() as unit:
        service = MeetingService(unit.session, unit.clock)
        as_invitee = await service.visible(meeting.id or 0, learner)
        assert as_invitee.invitees == [] and not as_invitee.can_manage
        as_admin = await service.visible(meeting.id or 0, admin)
        assert as_admin.can_manage and {i.email for i in as_admin.invitees} == {
            learner.email,
            "g@example.org",
        }
        with pytest.raises(MeetingNotFound):
            await service.visible(meeting.id or 0, other)
        with pytest.raises(PermissionDenied):
            await service.update(meeting.id or 0, meeting_form(), learner)


async def test_editing_bumps_the_sequence_renews_guest_links_and_tells_the_removed(
    services: Services, faculty: User, learner: User
) -> None:
    second = await make_user(services, Role.LEARNER)
    change = await make_meeting(
        services, faculty, invitees=[learner], guests="keep@example.org\ndrop@example.org"
    )
    token = next(n.guest_token for n in change.invitations if n.person.email == "keep@example.org")
    assert token
    form = meeting_form(
        title="Moved",
        starts_at="2026-12-08T09:00",
        ends_at="2026-12-08T09:30",
        invitee_ids=[str(second.id)],
        guests="Kept Name <keep@example.org>",
    )
    async with services.unit() as unit:
        edited = await MeetingService(unit.session, unit.clock).update(
            change.meeting.id or 0, form, faculty
        )
    assert edited.meeting.sequence == 1 and edited.meeting.title == "Moved"
    assert {n.person.email for n in edited.invitations} == {second.email, "keep@example.org"}
    assert {n.person.email for n in edited.cancellations} == {learner.email, "drop@example.org"}
    renewed = next(n.guest_token for n in edited.invitations if n.guest)
    assert renewed and renewed != token  # the updated invitation carries a new link
    assert all(n.guest_token is None for n in edited.invitations if not n.guest)
    async with services.unit() as unit:
        service = MeetingService(unit.session, unit.clock)
        assert await service.guest_by_token(change.meeting.id or 0, token) is None
        kept = await service.guest_by_token(change.meeting.id or 0, renewed)
        assert kept is not None and kept.name == "Kept Name"
        assert [s.meeting.id for s in await service.mine(learner)] == []
        assert [s.meeting.id for s in await service.mine(second)] == [change.meeting.id]


async def test_cancelling_keeps_the_meeting_and_tells_everyone(
    services: Services, faculty: User, learner: User
) -> None:
    change = await make_meeting(services, faculty, invitees=[learner], guests="g@example.org")
    async with services.unit() as unit:
        service = MeetingService(unit.session, unit.clock)
        cancelled = await service.cancel(change.meeting.id or 0, faculty)
    assert cancelled.meeting.cancelled and cancelled.meeting.sequence == 1
    assert {n.person.email for n in cancelled.cancellations} == {learner.email, "g@example.org"}
    async with services.unit() as unit:
        service = MeetingService(unit.session, unit.clock)
        view = await service.visible(change.meeting.id or 0, learner)
        assert view.meeting.cancelled and view.next == [] and not view.can_manage
        assert await service.upcoming_for(learner) == []
        with pytest.raises(MeetingCancelled):
            await service.cancel(change.meeting.id or 0, faculty)
        with pytest.raises(MeetingCancelled):
            await service.update(change.meeting.id or 0, meeting_form(), faculty)


async def test_my_meetings_list_upcoming_first_by_next_occurrence(
    services: Services, clock: MovableClock, faculty: User, learner: User
) -> None:
    later = await make_meeting(
        services,
        faculty,
        invitees=[learner],
        title="Later",
        starts_at="2026-12-20T09:00",
        ends_at="2026-12-20T10:00",
    )
    series = await make_meeting(
        services,
        faculty,
        invitees=[learner],
        title="Series",
        starts_at="2026-12-02T09:00",
        ends_at="2026-12-02T10:00",
        recurrence="weekly",
        count="5",
    )
    soon = await make_meeting(
        services,
        faculty,
        title="Own only",
        starts_at="2026-12-10T09:00",
        ends_at="2026-12-10T10:00",
    )
    clock.at = datetime(2026, 12, 12, 12, tzinfo=UTC)  # the series' third is next (16 Dec)
    async with services.unit() as unit:
        service = MeetingService(unit.session, unit.clock)
        mine = await service.mine(faculty)
        theirs = await service.upcoming_for(learner)
    assert [s.meeting.title for s in mine] == ["Series", "Later", "Own only"]
    assert mine[0].next is not None
    assert mine[0].next.starts_at == datetime(2026, 12, 16, 14, tzinfo=UTC)
    assert mine[2].next is None and mine[0].organizing
    assert [(s.meeting.id, s.organizing) for s in theirs] == [
        (series.meeting.id, False),
        (later.meeting.id, False),
    ]
    assert soon.meeting.id not in {s.meeting.id for s in theirs}
    clock.at += timedelta(days=60)
    async with services.unit() as unit:
        assert await MeetingService(unit.session, unit.clock).upcoming_for(learner) == []
