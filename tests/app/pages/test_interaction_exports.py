"""GET .../polls.csv, .../poll-results.csv and .../questions.csv for a live session (its faculty
and administrators) and for a meeting (its organizer and administrators): app.pages.
interaction_exports over courses.polls and courses.audience_questions."""

from __future__ import annotations

import csv
import io

from app.wiring import Services
from courses.audience_questions import AudienceQuestionService
from courses.models import User
from courses.polls import PollService
from courses.room_records import RoomPerson
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast
from tests.conftest import Client
from tests.factories.catalog import make_course, make_live
from tests.factories.meetings import make_meeting


def _person(user: User) -> RoomPerson:
    return RoomPerson(f"u:{user.id}", user.display_name, user_id=user.id)


async def _fill(services: Services, room_id: str, host: User, voter: User) -> None:
    """One poll with one vote, and one question with one upvote, in ``room_id``."""
    async with services.unit() as unit:
        polls = PollService(unit.session, unit.clock)
        poll = await polls.open(room_id, _person(host), question="Ready?", kind="single",
                                options=["Yes", "<b>No</b>"])
        await polls.vote(room_id, poll.poll_id, _person(voter), [1])
        questions = AudienceQuestionService(unit.session, unit.clock)
        asked = await questions.ask(room_id, _person(voter), "+1 what about CKD?")
        await questions.upvote(room_id, asked.question_id, _person(host), True)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_a_sessions_faculty_and_admins_download_its_polls_and_questions(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, faculty_ids=[cast.faculty.id])
    live = await make_live(services, cast.admin, course, starts_at=services.clock.now())
    await _fill(services, f"activity-{live.id}", cast.faculty, cast.learner)
    base = f"/admin/activities/{live.id}"
    for staff in (cast.faculty, cast.admin):
        http = await signed_in(staff)
        votes = await http.get(f"{base}/polls.csv")
        assert votes.status_code == 200
        assert votes.headers["content-type"].startswith("text/csv")
        disposition = votes.headers["content-disposition"]
        assert f'filename="polls-activity-{live.id}.csv"' in disposition
        assert _rows(votes.text) == [
            ["poll", "question", "voter", "voted_at", "choices"],
            ["1", "Ready?", "Lea Learner", "2026-12-01 07:00:00 EST", "<b>No</b>"],
        ]
        results = await http.get(f"{base}/poll-results.csv")
        assert results.status_code == 200
        assert f"poll-results-activity-{live.id}.csv" in results.headers["content-disposition"]
        assert [row[6:] for row in _rows(results.text)] == [
            ["option", "votes", "percent"], ["Yes", "0", "0.0"], ["<b>No</b>", "1", "100.0"],
        ]
        questions = await http.get(f"{base}/questions.csv")
        assert questions.status_code == 200
        assert f"questions-activity-{live.id}.csv" in questions.headers["content-disposition"]
        assert _rows(questions.text) == [
            ["asked_at", "asker", "question", "upvotes", "status", "answered_at"],
            ["2026-12-01 07:00:00 EST", "Lea Learner", "'+1 what about CKD?", "1", "open", ""],
        ]
    for outsider in (cast.learner, cast.other_faculty):
        http = await signed_in(outsider)
        for name in ("polls", "poll-results", "questions"):
            refused = await http.get(f"{base}/{name}.csv")
            assert refused.status_code == 403, (outsider.display_name, name)
            assert "Ready?" not in refused.text and "CKD" not in refused.text
    admin = await signed_in(cast.admin)
    for name in ("polls", "poll-results", "questions"):
        assert (await admin.get(f"/admin/activities/999999/{name}.csv")).status_code == 404
        assert (await admin.get(f"/admin/activities/0/{name}.csv")).status_code == 404


async def test_a_meetings_organizer_and_admins_download_its_polls_and_questions(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    meeting = (await make_meeting(services, cast.faculty, invitees=[cast.learner])).meeting
    await _fill(services, f"meeting-{meeting.id}", cast.faculty, cast.learner)
    base = f"/meetings/{meeting.id}"
    for manager in (cast.faculty, cast.admin):
        http = await signed_in(manager)
        votes = await http.get(f"{base}/polls.csv")
        assert votes.status_code == 200
        assert f'filename="polls-meeting-{meeting.id}.csv"' in votes.headers["content-disposition"]
        assert _rows(votes.text)[1] == [
            "1", "Ready?", "Lea Learner", "2026-12-01 07:00:00 EST", "<b>No</b>",
        ]
        assert _rows((await http.get(f"{base}/poll-results.csv")).text)[2][6:] == [
            "<b>No</b>", "1", "100.0",
        ]
        assert _rows((await http.get(f"{base}/questions.csv")).text)[1][2] == (
            "'+1 what about CKD?"
        )
    # the invited learner is refused by role, other faculty are told there is no such meeting
    learner = await signed_in(cast.learner)
    other = await signed_in(cast.other_faculty)
    admin = await signed_in(cast.admin)
    for name in ("polls", "poll-results", "questions"):
        assert (await learner.get(f"{base}/{name}.csv")).status_code == 403
        hidden = await other.get(f"{base}/{name}.csv")
        assert hidden.status_code == 404 and "Ready?" not in hidden.text
        assert (await admin.get(f"/meetings/999999/{name}.csv")).status_code == 404


async def test_signing_in_comes_first(client: Client) -> None:
    for url in ("/admin/activities/1/polls.csv", "/meetings/1/questions.csv"):
        response = await client.get(url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")
