"""The reminder sweeper: what it mails (what, when in the event's zone, the link, how to turn
reminders off), once however many sweepers run, a failed mail not retried, and its start and
stop beside the webhook dispatcher in the web process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette

from app.mail import Message
from app.reminders import EXTRAS_KEY, ReminderSweeper, start_reminders, stop_reminders
from app.wiring import Services
from courses.models import Activity, Role, User
from tests.app.pages.helpers import RecordingMailer
from tests.conftest import MovableClock
from tests.factories.catalog import make_course, make_live
from tests.factories.meetings import make_meeting
from tests.factories.people import FAST_PASSWORDS, make_user

SESSION = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)  # 09:00 EST
MEETING = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # the meeting factory's 09:00 EST
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def outbox(services: Services) -> list[Message]:
    services.passwords = FAST_PASSWORDS
    mailer = RecordingMailer()
    services.mailer = mailer
    return mailer.sent


@pytest.fixture
async def faculty(services: Services, outbox: list[Message]) -> User:
    return await make_user(services, Role.FACULTY, name="Fay Faculty",
                           email="fay@hospital.example.org")


@pytest.fixture
async def learner(services: Services, outbox: list[Message]) -> User:
    return await make_user(services, Role.LEARNER, name="Lea Learner",
                           email="lea@hospital.example.org")


@pytest.fixture
async def session(services: Services, faculty: User, learner: User) -> Activity:
    admin = await make_user(services, Role.ADMIN)
    course = await make_course(services, admin, title="Cardiology", faculty_ids=[faculty.id])
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=admin)
    return await make_live(services, admin, course, starts_at=SESSION,
                           title="Heart failure update")


def to(outbox: list[Message], address: str) -> list[Message]:
    return [m for m in outbox if m.to == address]


async def test_a_sweep_mails_each_due_reminder_once(
    services: Services, clock: MovableClock, outbox: list[Message], session: Activity
) -> None:
    clock.at = SESSION - timedelta(hours=23)
    sweeper = ReminderSweeper(services)
    assert await sweeper.sweep() == 2
    (mail,) = to(outbox, "lea@hospital.example.org")
    assert mail.kind == "reminder"
    assert mail.subject == "Reminder: Heart failure update, 2026-12-02 09:00 EST"
    assert mail.body.startswith(
        "Hello Lea Learner,\n\nThe live session “Heart failure update” of the course "
        "“Cardiology” starts in about 23 hours.\n\n"
    )
    assert "When: 2026-12-02 09:00 EST to 10:00 (America/New_York)\n" in mail.body
    assert f"Join: {BASE}/activities/{session.id}/live\n" in mail.body
    assert ("To turn them off, untick “Email me reminders before live sessions and meetings” "
            f"on your profile: {BASE}/profile") in mail.body
    assert len(to(outbox, "fay@hospital.example.org")) == 1
    assert await sweeper.sweep() == 0 and len(outbox) == 2
    clock.at = SESSION - timedelta(minutes=14, seconds=30)
    assert await sweeper.sweep() == 2
    soon = to(outbox, "lea@hospital.example.org")[-1]
    assert soon.subject == "Starting soon: Heart failure update"
    assert "starts in 15 minutes." in soon.body


async def test_meeting_reminders_link_the_room_for_users_and_the_invitation_for_guests(
    services: Services, clock: MovableClock, outbox: list[Message], faculty: User,
    learner: User,
) -> None:
    change = await make_meeting(services, faculty, invitees=[learner],
                                guests="Gus Guest <gus@partner.example.com>")
    meeting_id = change.meeting.id
    clock.at = MEETING - timedelta(minutes=5)
    assert await ReminderSweeper(services).sweep() == 3
    (user_mail,) = to(outbox, "lea@hospital.example.org")
    assert ("The meeting “Operations huddle”, organised by Fay Faculty, starts in 5 minutes."
            in user_mail.body)
    assert f"Join: {BASE}/meetings/{meeting_id}/room\n" in user_mail.body
    assert f"Details: {BASE}/meetings/{meeting_id}\n" in user_mail.body
    (guest_mail,) = to(outbox, "gus@partner.example.com")
    assert guest_mail.body.startswith("Hello Gus Guest,")
    assert "use the link in your invitation" in guest_mail.body
    assert "/meetings/" not in guest_mail.body and "/profile" not in guest_mail.body
    assert ("ask Fay Faculty to take your address off the invitation" in guest_mail.body)


async def test_two_sweepers_at_once_send_each_reminder_once(
    services: Services, clock: MovableClock, outbox: list[Message], session: Activity
) -> None:
    clock.at = SESSION - timedelta(hours=5)
    sent = await asyncio.wait_for(
        asyncio.gather(ReminderSweeper(services).sweep(), ReminderSweeper(services).sweep()), 60
    )
    assert sum(sent) == 2
    assert sorted(m.to for m in outbox) == ["fay@hospital.example.org",
                                            "lea@hospital.example.org"]


async def test_a_reminder_whose_mail_failed_is_not_sent_again(
    services: Services, clock: MovableClock, outbox: list[Message], session: Activity
) -> None:
    class FailsForLea(RecordingMailer):
        async def send(self, message: Message) -> None:
            if message.to.startswith("lea@"):
                raise ConnectionRefusedError("smtp.example.org:587")
            await super().send(message)

    failing = FailsForLea()
    services.mailer = failing
    clock.at = SESSION - timedelta(hours=5)
    sweeper = ReminderSweeper(services)
    assert await sweeper.sweep() == 1
    assert [m.to for m in failing.sent] == ["fay@hospital.example.org"]
    assert await sweeper.sweep() == 0 and len(failing.sent) == 1


async def test_the_sweeper_runs_once_per_process_until_stopped(
    services: Services, clock: MovableClock, outbox: list[Message], session: Activity
) -> None:
    clock.at = SESSION - timedelta(hours=5)
    sweeper = await start_reminders(services)
    assert await start_reminders(services) is sweeper
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len(outbox) < 2:  # the first sweep runs at start
        assert loop.time() < deadline, "the sweeper sent nothing"
        await asyncio.sleep(0.05)
    await stop_reminders(services)
    assert EXTRAS_KEY not in services.extras
    await stop_reminders(services)  # stopping again is harmless
    assert len(outbox) == 2


async def test_the_web_process_sweeps_without_redis(
    services: Services, app: Starlette
) -> None:
    async with app.router.lifespan_context(app):
        assert isinstance(services.extras.get(EXTRAS_KEY), ReminderSweeper)
    assert EXTRAS_KEY not in services.extras
