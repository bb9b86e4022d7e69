"""/api/recordings: listing, one recording, editing and publishing, and watch heartbeats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.wiring import Services
from courses.models import Course, Recording, RecordingState
from tests.app.api.conftest import Conforms, People, SignedIn
from tests.conftest import Client, MovableClock
from tests.factories.catalog import make_course
from tests.factories.replay import make_recording


@pytest.fixture
async def course(services: Services, people: People) -> Course:
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, people.learner.id or 0, actor=people.learner)
    return course


@pytest.fixture
async def recording(services: Services, course: Course) -> Recording:
    return await make_recording(services, course=course, duration=120.0, with_files=True,
                                title="Case review")


async def test_a_private_recording_is_hidden_until_published(
    signed_in: SignedIn, people: People, recording: Recording, conforms: Conforms
) -> None:
    learner = await signed_in(people.learner)
    faculty = await signed_in(people.faculty)
    other = await signed_in(people.other_faculty)
    url = f"/api/recordings/{recording.id}"
    hidden = await learner.get(url)
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "recording_not_found"
    assert (await other.get(url)).status_code == 404
    assert (await learner.get("/api/recordings")).json() == {"recordings": []}

    published = await faculty.api("POST", url + "/publish")
    assert published.status_code == 200, published.text
    conforms("POST", "/api/recordings/{id}/publish", 200, published.json())
    assert published.json()["visibility"] == "published"

    seen = await learner.get(url)
    assert seen.status_code == 200
    body = seen.json()
    conforms("GET", "/api/recordings/{id}", 200, body)
    base = f"/recordings/{recording.id}/media/"
    assert body["master_url"] == base + "hls/master.m3u8"
    assert body["mp4_url"] == base + "recording.mp4"
    assert body["poster_url"] == base + "poster.jpg"
    assert [(r["height"], r["bandwidth"], r["uri"]) for r in body["renditions"]] == [
        (360, 800000, base + "hls/360p/index.m3u8"), (540, 2200000, base + "hls/540p/index.m3u8")]
    assert body["can_manage"] is False
    assert body["progress"]["percent"] == 0
    listed = (await learner.get("/api/recordings")).json()
    conforms("GET", "/api/recordings", 200, listed)
    assert [r["id"] for r in listed["recordings"]] == [recording.id]
    assert (await other.get(url)).status_code == 404

    back = await faculty.api("POST", url + "/unpublish")
    assert back.status_code == 200 and back.json()["published_activity_id"] is None
    assert (await learner.get(url)).status_code == 404


async def test_staff_edit_title_and_chapters(
    signed_in: SignedIn, people: People, recording: Recording, conforms: Conforms
) -> None:
    faculty = await signed_in(people.faculty)
    url = f"/api/recordings/{recording.id}"
    changed = await faculty.api("PATCH", url, {
        "title": "Case review, March", "chapters": [{"start": 60, "title": "Second case"},
                                                    {"start": 0, "title": "First case"}]})
    assert changed.status_code == 200, changed.text
    conforms("PATCH", "/api/recordings/{id}", 200, changed.json())
    assert changed.json()["chapters"] == [{"start": 0.0, "title": "First case"},
                                          {"start": 60.0, "title": "Second case"}]
    as_text = await faculty.api("PATCH", url, {"chapters": "0:00 Intro\n1:30 Wrap-up"})
    assert [c["start"] for c in as_text.json()["chapters"]] == [0.0, 90.0]

    bad = await faculty.api("PATCH", url, {"chapters": [{"start": 500, "title": "Late"}],
                                           "title": ""})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {
        "chapters": "Chapter 1: 8:20 is past the end of the recording (2:00).",
        "title": "Give the recording a title."}
    extra = await faculty.api("PATCH", url, {"state": "ready"})
    assert extra.status_code == 422 and "state" in extra.json()["error"]["fields"]
    learner = await signed_in(people.learner)
    assert (await learner.api("PATCH", url, {"title": "x"})).status_code == 404
    other = await signed_in(people.other_faculty)
    assert (await other.api("POST", url + "/publish")).status_code == 404


async def test_publishing_needs_a_ready_recording_of_a_course(
    services: Services, signed_in: SignedIn, people: People, course: Course
) -> None:
    admin = await signed_in(people.admin)
    processing = await make_recording(services, course=course, state=RecordingState.PROCESSING)
    response = await admin.api("POST", f"/api/recordings/{processing.id}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "recording_not_ready"
    meeting = await make_recording(services, course=None)
    response = await admin.api("POST", f"/api/recordings/{meeting.id}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "recording_not_publishable"
    beat = await admin.api("POST", f"/api/recordings/{processing.id}/watch",
                           {"ranges": [[0, 1]], "position": 1})
    assert beat.status_code == 409


async def test_heartbeats_merge_into_watched_intervals(
    services: Services, clock: MovableClock, signed_in: SignedIn, people: People,
    recording: Recording, conforms: Conforms,
) -> None:
    async with services.unit() as unit:
        await unit.recordings.publish(recording.id or 0, people.faculty)
    learner = await signed_in(people.learner)
    url = f"/api/recordings/{recording.id}/watch"
    first = await learner.api("POST", url, {"ranges": [[0, 10]], "position": 10})
    assert first.status_code == 200, first.text
    conforms("POST", "/api/recordings/{id}/watch", 200, first.json())
    assert first.json()["intervals"] == [[0.0, 10.0]]
    clock.at += timedelta(seconds=10)
    # seeking back: counts once; then a jump ahead that earns only what is played there
    again = await learner.api("POST", url, {"ranges": [[5, 10], [60, 64]], "position": 64})
    body = again.json()
    assert body["intervals"] == [[0.0, 10.0], [60.0, 64.0]]
    assert body["watched_seconds"] == 14.0 and body["percent"] == round(1400 / 120, 1)
    assert body["position_seconds"] == 64.0 and body["clipped_seconds"] == 0
    clock.at += timedelta(seconds=5)
    greedy = await learner.api("POST", url, {"ranges": [[64, 120]], "position": 120})
    assert greedy.json()["intervals"] == [[0.0, 10.0], [60.0, 71.5]]  # 5 s x 1.1 + 2 s
    assert greedy.json()["clipped_seconds"] == 48.5

    detail = (await learner.get(f"/api/recordings/{recording.id}")).json()
    assert detail["progress"]["watched_seconds"] == 21.5
    assert detail["progress"]["resume_at"] == 0.0  # stopped at the end: starts over


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"ranges": [[-2, 5]], "position": 5}, "ranges", "negative"),
    ({"ranges": [[8, 5]], "position": 5}, "ranges", "before it starts"),
    ({"ranges": [[0, 5]], "position": -1}, "position", "negative"),
    ({"ranges": [[0, "5"]], "position": 5}, "ranges", "must be a number"),
    ({"ranges": [[0, 5]]}, "position", "required"),
    ({"ranges": [[0, 5]], "position": 5, "speed": 2}, "speed", "not accepted"),
])
async def test_impossible_heartbeats_are_refused(
    signed_in: SignedIn, people: People, recording: Recording,
    body: dict[str, object], field: str, words: str,
) -> None:
    faculty = await signed_in(people.faculty)
    response = await faculty.api("POST", f"/api/recordings/{recording.id}/watch", body)
    assert response.status_code == 422
    assert words in response.json()["error"]["fields"][field]


async def test_non_finite_numbers_are_refused(
    signed_in: SignedIn, people: People, recording: Recording
) -> None:
    faculty = await signed_in(people.faculty)
    for raw in (b'{"ranges": [[0, NaN]], "position": 1}',
                b'{"ranges": [[0, 1]], "position": Infinity}'):
        response = await faculty.post(
            f"/api/recordings/{recording.id}/watch", content=raw,
            headers={"Content-Type": "application/json", "X-CSRF-Token": await faculty.csrf()})
        assert response.status_code == 422, raw
        assert "finite" in str(response.json()["error"]["fields"])


async def test_heartbeats_need_a_viewer_and_the_csrf_token(
    anonymous: Client, signed_in: SignedIn, people: People, recording: Recording
) -> None:
    url = f"/api/recordings/{recording.id}/watch"
    body = {"ranges": [[0, 1]], "position": 1}
    assert (await anonymous.api("POST", url, body)).status_code == 401
    learner = await signed_in(people.learner)  # enrolled, but the recording is private
    assert (await learner.api("POST", url, body)).status_code == 404
    faculty = await signed_in(people.faculty)
    no_token = await faculty.post(url, json=body)
    assert no_token.status_code == 403
    assert no_token.json()["error"]["code"] == "csrf_failed"
    assert (await faculty.api("POST", "/api/recordings/99999/watch", body)).status_code == 404
