"""The demo data has a meeting whose room opens minutes after seeding, with a guest's link
that really lets the guest in."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.seed import seed_demo
from app.seed_meetings import guest_link_file
from app.wiring import Services
from courses.meeting_rooms import MeetingRoomService
from courses.models import Meeting, MeetingInvitee
from tests.conftest import MovableClock


async def test_the_demo_meeting_opens_soon_and_its_guest_link_works(
    services: Services, clock: MovableClock
) -> None:
    await seed_demo(services)
    link = guest_link_file(services.settings).read_text().strip()
    meeting_id, token = link.split("/meetings/")[1].split("/join/")
    async with services.unit() as unit:
        meeting = (await unit.session.exec(select(Meeting))).one()
        invitees = (await unit.session.exec(select(MeetingInvitee))).all()
    assert str(meeting.id) == meeting_id and meeting.recurrence == "weekly"
    assert timedelta(minutes=4) <= meeting.starts_at - clock.now() <= timedelta(minutes=5)
    assert sorted(i.is_guest for i in invitees) == [False, False, False, True]
    async with services.unit() as unit:
        guest_pass = await MeetingRoomService(unit.session, unit.clock).admit_guest(
            int(meeting_id), token
        )
    assert guest_pass.display_name == "Dr. Visiting Pharmacist" and not guest_pass.is_host
