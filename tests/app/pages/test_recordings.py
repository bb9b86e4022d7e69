"""The recording pages: who sees a replay, the player page, editing and publishing, the media
files (permission, path traversal, content types, ranges) and the administrators' list."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

import app.pages.recordings as recording_pages
from app.wiring import Services
from courses.models import Course, Recording, RecordingState, Role
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, flashes, text_of
from tests.conftest import Client
from tests.factories.catalog import make_course
from tests.factories.people import make_user
from tests.factories.replay import MP4_BYTES, make_recording


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    course = await make_course(services, cast.admin, title="Recorded Course",
                               faculty_ids=[cast.faculty.id])
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, cast.learner.id or 0, actor=cast.learner)
    return course


@pytest.fixture
async def recording(services: Services, course: Course) -> Recording:
    return await make_recording(services, course=course, duration=754.0, with_files=True,
                                title="Sepsis grand rounds")


async def publish(services: Services, cast: Cast, recording: Recording,
                  chapters: str = "") -> None:
    async with services.unit() as unit:
        await unit.recordings.publish(recording.id or 0, cast.faculty,
                                      {"chapters": chapters} if chapters else None)


def data_attr(page: str, name: str) -> str:
    found = re.search(rf'data-{name}="([^"]*)"', page)
    assert found, name
    return html.unescape(found.group(1))


# -- who may open the replay page ------------------------------------------------------------
async def test_replay_page_permissions(
    services: Services, cast: Cast, course: Course, recording: Recording, signed_in: SignedIn
) -> None:
    stranger = await make_user(services, Role.LEARNER)
    present = await make_user(services, Role.LEARNER)
    private_meeting = await make_recording(services, course=course, participants=(present,),
                                           with_files=True)
    people = {
        "admin": await signed_in(cast.admin), "faculty": await signed_in(cast.faculty),
        "other_faculty": await signed_in(cast.other_faculty),
        "enrolled": await signed_in(cast.learner), "stranger": await signed_in(stranger),
        "present": await signed_in(present),
    }

    async def statuses(rec: Recording) -> dict[str, int]:
        return {who: (await http.get(f"/recordings/{rec.id}")).status_code
                for who, http in people.items()}

    assert await statuses(recording) == {"admin": 200, "faculty": 200, "other_faculty": 404,
                                         "enrolled": 404, "stranger": 404, "present": 404}
    await publish(services, cast, recording)
    assert await statuses(recording) == {"admin": 200, "faculty": 200, "other_faculty": 404,
                                         "enrolled": 200, "stranger": 404, "present": 404}
    assert await statuses(private_meeting) == {"admin": 200, "faculty": 200,
                                               "other_faculty": 404, "enrolled": 404,
                                               "stranger": 404, "present": 200}
    hidden = await people["stranger"].get(f"/recordings/{recording.id}")
    assert "There is no recording with id" in text_of(hidden.text)
    # the files answer exactly as the page does
    for who, http in people.items():
        media = await http.get(f"/recordings/{recording.id}/media/hls/master.m3u8")
        assert media.status_code == (404 if who in ("other_faculty", "stranger", "present")
                                     else 200), who


async def test_the_replay_page_carries_the_player_and_the_learners_progress(
    services: Services, cast: Cast, recording: Recording, signed_in: SignedIn
) -> None:
    await publish(services, cast, recording, chapters="0:00 Welcome\n5:07 Vitals")
    async with services.unit() as unit:
        await unit.watching.heartbeat(recording, cast.learner, [[0, 20]], 20)
    learner = await signed_in(cast.learner)
    page = (await learner.get(f"/recordings/{recording.id}")).text
    base = f"/recordings/{recording.id}/media/"
    assert '<script src="/static/vendor/hls/hls.min.js" defer></script>' in page
    assert '<script src="/static/js/replay.js" defer></script>' in page
    assert "<script>" not in page and " style=" not in page  # the CSP forbids inline
    assert data_attr(page, "master-url") == base + "hls/master.m3u8"
    assert data_attr(page, "mp4-url") == base + "recording.mp4"
    assert data_attr(page, "watch-url") == f"/api/recordings/{recording.id}/watch"
    assert data_attr(page, "resume") == "20.0"
    assert data_attr(page, "percent") == "2.7"
    assert f'poster="{base}poster.jpg"' in page
    assert f'href="{base}recording.mp4?download=1" download' in page
    text = text_of(page)
    assert "Download MP4 (0.1 MB)" in text
    assert "You left off at 0:20" in text
    assert "0:00 Welcome" in text and "5:07 Vitals" in text
    assert 'data-start="307.0"' in page
    assert "Edit or publish" not in text  # learners do not manage
    staff = (await (await signed_in(cast.faculty)).get(f"/recordings/{recording.id}")).text
    assert "Edit or publish" in text_of(staff)


async def test_the_page_says_how_to_install_a_missing_player(
    cast: Cast, recording: Recording, signed_in: SignedIn, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recording_pages, "player_path", lambda: tmp_path / "missing.js")
    page = (await (await signed_in(cast.faculty)).get(f"/recordings/{recording.id}")).text
    assert "hls.min.js" not in page
    assert "/static/js/replay.js" in page
    assert ("The video player (hls.js) is not installed on this server, so adaptive streaming "
            "is off. An administrator installs it by running rounds assets on the server. "
            "Meanwhile the recording plays from its MP4 file.") in text_of(page)


async def test_a_recording_in_processing_shows_a_notice_to_its_staff(
    services: Services, cast: Cast, course: Course, signed_in: SignedIn
) -> None:
    processing = await make_recording(services, course=course, state=RecordingState.PROCESSING)
    page = await (await signed_in(cast.faculty)).get(f"/recordings/{processing.id}")
    assert page.status_code == 200
    assert "This recording is still being processed." in text_of(page.text)
    assert "replay.js" not in page.text
    files = await (await signed_in(cast.admin)).get(
        f"/recordings/{processing.id}/media/hls/master.m3u8")
    assert files.status_code == 404


# -- editing and publishing --------------------------------------------------------------------
async def test_faculty_publish_with_chapters_and_learners_find_it(
    services: Services, cast: Cast, course: Course, recording: Recording, signed_in: SignedIn
) -> None:
    faculty = await signed_in(cast.faculty)
    form = (await faculty.get(f"/recordings/{recording.id}/edit")).text
    assert "Save and publish to the course" in form
    response = await faculty.form(f"/recordings/{recording.id}/edit", {
        "title": "Sepsis: the first hour", "description": "Grand rounds replay.",
        "chapters": "12:30 Cases\n0:00 Welcome", "action": "publish",
    })
    assert response.status_code == 303
    assert response.headers["location"] == f"/recordings/{recording.id}/edit"
    after = await faculty.get(response.headers["location"])
    assert flashes(after.text) == [
        "Recording published: the course's enrolled learners can watch it now."]
    assert "0:00 Welcome\n12:30 Cases" in html.unescape(after.text)
    activity_id = re.search(r'href="/activities/(\d+)">an on-demand activity', after.text)
    assert activity_id

    learner = await signed_in(cast.learner)
    activity = await learner.get(f"/activities/{activity_id.group(1)}")
    assert "Sepsis: the first hour" in activity.text and "13 min" in text_of(activity.text)
    assert f'href="/recordings/{recording.id}">Watch the recording' in activity.text
    outsider = await signed_in(await make_user(services, Role.LEARNER))
    hint = await outsider.get(f"/activities/{activity_id.group(1)}")
    assert "Enroll in the course to watch it." in text_of(hint.text)
    listed = await learner.get("/recordings")
    assert "Sepsis: the first hour" in listed.text

    private = await faculty.form(f"/recordings/{recording.id}/edit", {
        "title": "Sepsis: the first hour", "chapters": "", "action": "private"})
    assert private.status_code == 303
    assert (await learner.get(f"/recordings/{recording.id}")).status_code == 404
    assert (await learner.get(f"/activities/{activity_id.group(1)}")).status_code == 404


async def test_the_edit_form_names_each_mistake(
    cast: Cast, recording: Recording, signed_in: SignedIn
) -> None:
    faculty = await signed_in(cast.faculty)
    response = await faculty.form(f"/recordings/{recording.id}/edit", {
        "title": "", "description": "", "chapters": "0:00 Welcome\nCases at ten", "action": "save",
    })
    assert response.status_code == 422
    assert field_error(response.text, "title") == "Give the recording a title."
    assert field_error(response.text, "chapters") == (
        "Line 2: start with a time like 12:30 or 1:02:03, then a space and the title "
        "(got 'Cases at ten').")
    assert "Cases at ten" in response.text  # what was typed comes back
    late = await faculty.form(f"/recordings/{recording.id}/edit", {
        "title": "T", "chapters": "13:00 After the end", "action": "save"})
    assert field_error(late.text, "chapters") == (
        "Line 1: 13:00 is past the end of the recording (12:34).")


async def test_a_meeting_recording_cannot_be_published(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    meeting = await make_recording(services, course=None, with_files=True)
    admin = await signed_in(cast.admin)
    form = await admin.get(f"/recordings/{meeting.id}/edit")
    assert "Save and publish" not in form.text
    assert "stays private to the people who were in the room" in text_of(form.text)
    response = await admin.form(f"/recordings/{meeting.id}/edit",
                                {"title": "Board meeting", "action": "publish"})
    assert response.status_code == 303
    after = await admin.get(response.headers["location"])
    assert flashes(after.text) == [
        "This recording was made outside any course (an ad hoc meeting): it stays private to "
        "the people who were in the room."]


# -- the media files --------------------------------------------------------------------------
@pytest.fixture
async def staff(cast: Cast, signed_in: SignedIn) -> Client:
    return await signed_in(cast.faculty)


@pytest.mark.parametrize(("name", "content_type"), [
    ("hls/master.m3u8", "application/vnd.apple.mpegurl"),
    ("hls/540p/index.m3u8", "application/vnd.apple.mpegurl"),
    ("hls/540p/init.mp4", "video/mp4"),
    ("hls/360p/seg000.m4s", "video/iso.segment"),
    ("recording.mp4", "video/mp4"),
    ("poster.jpg", "image/jpeg"),
])
async def test_files_are_served_with_their_content_type(
    staff: Client, recording: Recording, name: str, content_type: str
) -> None:
    response = await staff.get(f"/recordings/{recording.id}/media/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"].startswith("private")
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_mp4_answers_range_requests(staff: Client, recording: Recording) -> None:
    url = f"/recordings/{recording.id}/media/recording.mp4"
    whole = await staff.get(url)
    assert whole.content == MP4_BYTES and whole.headers["accept-ranges"] == "bytes"
    part = await staff.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(MP4_BYTES)}"
    assert part.content == MP4_BYTES[1000:2000]
    tail = await staff.get(url, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == MP4_BYTES[-100:]
    beyond = await staff.get(url, headers={"Range": f"bytes={len(MP4_BYTES) + 5}-"})
    assert beyond.status_code == 416
    download = await staff.get(url + "?download=1")
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert unquote(disposition.split("''", 1)[1]) == "Sepsis grand rounds (12-34).mp4"


async def test_chapters_vtt_follows_the_edited_chapters(
    services: Services, cast: Cast, staff: Client, recording: Recording
) -> None:
    async with services.unit() as unit:
        await unit.recordings.update(recording.id or 0, {"chapters": "0:00 Welcome\n1:00 Cases"},
                                     cast.faculty)
    vtt = await staff.get(f"/recordings/{recording.id}/media/chapters.vtt")
    assert vtt.headers["content-type"] == "text/vtt; charset=utf-8"
    assert vtt.text == ("WEBVTT\n\n1\n00:00:00.000 --> 00:01:00.000\nWelcome\n\n"
                        "2\n00:01:00.000 --> 00:12:34.000\nCases\n")


async def test_paths_outside_the_output_folder_do_not_exist(
    services: Services, course: Course, staff: Client, recording: Recording
) -> None:
    root = services.settings.effective_media_root
    folder = root / recording.output_path
    hidden = await make_recording(services, course=None, with_files=True)
    (root / "secret.mp4").write_bytes(b"SECRET-BYTES")
    (folder / ".hidden.mp4").write_bytes(b"HIDDEN-BYTES")
    (folder / "notes.txt").write_text("not media")
    (folder / "escape.mp4").symlink_to(root / "secret.mp4")
    other = Path("..") / ".." / ".." / hidden.output_path / "recording.mp4"
    assert (folder / other).resolve().is_file()  # the attacks below aim at real files
    base = f"/recordings/{recording.id}/media/"
    for attempt in [
        "..%2F..%2F..%2Fsecret.mp4",
        "%2e%2e/%2e%2e/%2e%2e/secret.mp4",
        str(other).replace("/", "%2F"),
        "540p%2F..%2F..%2F..%2F..%2Fsecret.mp4",
        "%2Fetc%2Fpasswd",
        "..%5C..%5C..%5Csecret.mp4",
        "recording.mp4%00.jpg",
        ".hidden.mp4",
        "notes.txt",
        "escape.mp4",
        "540p",
        "missing.mp4",
    ]:
        response = await staff.get(base + attempt)
        assert response.status_code == 404, attempt
        assert "SECRET-BYTES" not in response.text and "HIDDEN-BYTES" not in response.text
    assert (await staff.get(base + "recording.mp4")).status_code == 200


async def test_an_output_path_outside_the_media_root_serves_nothing(
    services: Services, course: Course, staff: Client, recording: Recording
) -> None:
    async with services.unit() as unit:
        row = await unit.session.get(Recording, recording.id)
        assert row is not None
        row.output_path = "../../"
        unit.session.add(row)
    assert (await staff.get(f"/recordings/{recording.id}/media/hls/master.m3u8")).status_code == 404
    page = await staff.get(f"/recordings/{recording.id}")
    assert "The files of this recording are missing on the server." in text_of(page.text)


# -- lists -------------------------------------------------------------------------------------
async def test_lists_show_what_each_person_may_see(
    services: Services, cast: Cast, course: Course, recording: Recording, signed_in: SignedIn
) -> None:
    failed = await make_recording(services, course=course, state=RecordingState.FAILED,
                                  title="Broken session")
    async with services.unit() as unit:
        row = await unit.session.get(Recording, failed.id)
        assert row is not None
        row.error = "ffmpeg exited with 1: Invalid data found when processing input"
        unit.session.add(row)
    faculty = await signed_in(cast.faculty)
    mine = text_of((await faculty.get("/recordings")).text)
    assert "Sepsis grand rounds" in mine and "Broken session" in mine
    other = text_of((await (await signed_in(cast.other_faculty)).get("/recordings")).text)
    assert "Sepsis grand rounds" not in other and "No recordings to show yet" in other
    learner = text_of((await (await signed_in(cast.learner)).get("/recordings")).text)
    assert "Sepsis grand rounds" not in learner

    admin = await signed_in(cast.admin)
    overview = await admin.get("/admin/recordings")
    text = text_of(overview.text)
    assert "Broken session" in text and "Invalid data found when processing input" in text
    assert "Kept" in text and 'href="/admin/jobs"' in overview.text
    assert f'href="/recordings/{recording.id}/edit"' in overview.text
    nav = re.search(r'<nav aria-label="Main">.*?</nav>', overview.text, re.S)
    assert nav and 'href="/admin/recordings"' in nav.group(0)
    faculty_nav = (await faculty.get("/recordings")).text
    assert '<a href="/recordings" aria-current="page">Recordings</a>' in faculty_nav
