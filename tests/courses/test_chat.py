"""The chat transcript service on SQLite and PostgreSQL: what is kept, the rules it enforces
again, who may read it, and the CSV (times in the session's zone, formulas quoted)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.wiring import Services
from courses.chat import MAX_TEXT, ChatService, chat_csv
from courses.errors import ActivityNotFound, InvalidInput, PermissionDenied
from courses.models import Role, User
from tests.conftest import MovableClock
from tests.factories.catalog import make_course, make_live
from tests.factories.people import make_user


async def _record(
    services: Services, room_id: str, user: User | None, text: str, audience: str = "everyone"
) -> None:
    async with services.unit() as unit:
        await ChatService(unit.session, unit.clock).record(
            room_id=room_id,
            participant_id="p-1",
            user_id=user.id if user else None,
            sender_name=user.display_name if user else "Guest Gail",
            audience=audience,
            text=text,
        )


async def test_the_transcript_is_in_order_for_faculty_and_admins_only(
    services: Services, admin: User, clock: MovableClock
) -> None:
    faculty = await make_user(services, Role.FACULTY, name="Dr. Faye")
    other_faculty = await make_user(services, Role.FACULTY)
    learner = await make_user(services, Role.LEARNER, name="Lee, RN")
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    live = await make_live(
        services, admin, course, starts_at=clock.now(), timezone="America/Chicago"
    )
    other = await make_live(services, admin, course, starts_at=clock.now())
    room = f"activity-{live.id}"
    await _record(services, room, learner, "-2 is the answer?", "hosts")
    clock.at = clock.now() + timedelta(seconds=75)
    await _record(services, room, faculty, "  Yes.  ")
    await _record(services, f"activity-{other.id}", learner, "elsewhere")
    await _record(services, room, None, "@everyone hello")

    for actor in (faculty, admin):
        async with services.unit() as unit:
            transcript = await ChatService(unit.session, unit.clock).transcript(live.id or 0, actor)
        assert [m.user_id for m in transcript.messages] == [learner.id, faculty.id, None]
        rows = list(csv.reader(io.StringIO(chat_csv(transcript))))
        assert rows == [
            ["sent_at", "sender", "audience", "text"],
            ["2026-12-01 06:00:00 CST", "Lee, RN", "hosts", "'-2 is the answer?"],
            ["2026-12-01 06:01:15 CST", "Dr. Faye", "everyone", "Yes."],
            ["2026-12-01 06:01:15 CST", "Guest Gail", "everyone", "'@everyone hello"],
        ]
    for outsider in (learner, other_faculty):
        async with services.unit() as unit:
            with pytest.raises(PermissionDenied):
                await ChatService(unit.session, unit.clock).transcript(live.id or 0, outsider)
    async with services.unit() as unit:
        with pytest.raises(ActivityNotFound):
            await ChatService(unit.session, unit.clock).transcript(999_999, admin)


@pytest.mark.parametrize(
    ("text", "audience", "field", "says"),
    [
        ("x" * (MAX_TEXT + 1), "everyone", "text", f"limited to {MAX_TEXT} characters"),
        (" \t ", "everyone", "text", "Type a message"),
        ("hi", "the back row", "to", "everyone or to the hosts"),
    ],
)
async def test_what_the_room_would_refuse_is_not_kept(
    services: Services, admin: User, text: str, audience: str, field: str, says: str
) -> None:
    async with services.unit() as unit:
        with pytest.raises(InvalidInput) as caught:
            await ChatService(unit.session, unit.clock).record(
                room_id="meeting-3",
                participant_id="p-9",
                user_id=admin.id,
                sender_name="Ada",
                audience=audience,
                text=text,
            )
    assert says in caught.value.errors[field]


async def test_rooms_without_a_session_keep_their_chat_unlinked(
    services: Services, admin: User
) -> None:
    async with services.unit() as unit:
        row = await ChatService(unit.session, unit.clock).record(
            room_id="meeting-3",
            participant_id="p-9",
            user_id=admin.id,
            sender_name=" ",
            audience="everyone",
            text="hello",
        )
    assert row.id is not None and row.activity_id is None and row.user_id == admin.id
    assert row.sender_name == "Someone" and row.room_id == "meeting-3"
