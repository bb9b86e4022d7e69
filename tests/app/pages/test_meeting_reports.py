"""The report pages (app.pages.meeting_reports): a meeting occurrence's report with its
attendance and chat CSVs, a course session's report, engagement per learner for the CME
office; the timeline chart; who may see each; the links from the pages people come from."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from app.timeline_chart import tick_step, ticks_between, timeline_chart
from app.wiring import Services
from courses.models import Course, Role, User
from courses.session_reports import Timeline, TimelineRow
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, text_of
from tests.conftest import START, Client, MovableClock
from tests.factories import session_records as records
from tests.factories.catalog import make_course, make_live
from tests.factories.credit import attend
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user

FIRST = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # the factory meeting: 09:00 in New York
WEEK = timedelta(weeks=1)
ZONE = "America/New_York"


def m(n: float, base: datetime = FIRST) -> datetime:
    return base + timedelta(minutes=n)


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def svg_of(page: str) -> str:
    found = re.search(r"<svg .*?</svg>", page, re.S)
    assert found, page
    return found.group(0)


# -- the chart's geometry (pure) ---------------------------------------------------------------
def test_ticks_fall_on_round_wall_clock_times_in_the_zone() -> None:
    assert tick_step(timedelta(minutes=35)) == timedelta(minutes=5)
    assert tick_step(timedelta(minutes=75)) == timedelta(minutes=10)
    assert tick_step(timedelta(hours=3)) == timedelta(minutes=30)
    ticks = ticks_between(m(-7), m(68), ZoneInfo(ZONE))  # 08:53 to 10:08 EST
    assert [t.strftime("%H:%M") for t in ticks] == [
        "09:00", "09:10", "09:20", "09:30", "09:40", "09:50", "10:00"
    ]


def test_bars_sit_on_the_time_axis_and_a_short_connection_still_shows() -> None:
    long_name = "Dr Maximilian Alexander Featherstonehaugh-Smythe"
    timeline = Timeline(
        start=FIRST, end=m(60), zone=ZONE, window=(m(10), m(40)), window_label="scheduled time",
        rows=[TimelineRow("Ann", [(FIRST, m(30))]), TimelineRow(long_name, [(m(30), m(30.01))])],
    )
    chart = timeline_chart(timeline, "Huddle")
    left, right = chart.plot_left, chart.plot_right
    ann, max_row = chart.rows
    [bar] = ann.bars
    assert bar.x == left and bar.width == round((right - left) / 2, 1)
    assert bar.text == "09:00 to 09:30 EST"
    assert max_row.bars[0].width == 2.0 and max_row.name == long_name
    assert max_row.label.endswith("…") and len(max_row.label) <= 28
    assert chart.band_x == round(left + (right - left) / 6, 1)
    assert max_row.y > ann.y and chart.height > max_row.y
    assert chart.title == "Attendance timeline: Huddle"
    assert "2 people" in chart.desc and "scheduled time, 09:10 to 09:40 EST" in chart.desc


# -- a meeting ----------------------------------------------------------------------------------
async def _meeting(services: Services, cast: Cast, clock: MovableClock) -> int:
    """The faculty member's weekly meeting (two occurrences), the learner and a guest invited;
    both occurrences attended; now is after both."""
    learner = cast.learner
    change = await make_meeting(services, cast.faculty, invitees=[learner],
                                guests="Gus <i>Guest</i> <gus@partner.example.com>",
                                recurrence="weekly", count="2", title="Ops <huddle>")
    meeting_id = change.meeting.id or 0
    room = f"meeting-{meeting_id}"
    gus = await records.guest_id(services, meeting_id, "gus@partner.example.com")
    connect = records.meeting_connection
    await connect(services, meeting_id, m(-5), m(60), user=cast.faculty, role="host")
    await connect(services, meeting_id, m(5), m(30), guest_id=gus, role="guest")
    await connect(services, meeting_id, m(0), m(20), user=learner)
    await connect(services, meeting_id, m(10), m(40), user=learner)
    await connect(services, meeting_id, m(0, FIRST + WEEK), m(12, FIRST + WEEK), user=learner)
    await records.chat(services, room, learner, m(5), text="@SUM(A1) <b>hi</b>")
    await records.chat(services, room, learner, m(5, FIRST + WEEK), text="week two")
    await records.poll(services, room, m(15), voters=[learner], guest_voters=[gus])
    await records.question(services, room, learner, m(20), upvoters=[cast.faculty])
    clock.at = FIRST + 3 * WEEK
    return meeting_id


async def _everyone(signed_in: SignedIn, cast: Cast) -> dict[str, Client]:
    return {role: await signed_in(getattr(cast, role))
            for role in ("admin", "faculty", "other_faculty", "learner")}


async def test_a_meetings_report_shows_one_occurrence_with_its_timeline(
    services: Services, cast: Cast, signed_in: SignedIn, clock: MovableClock, client: Client
) -> None:
    meeting_id = await _meeting(services, cast, clock)
    people = await _everyone(signed_in, cast)
    url = f"/meetings/{meeting_id}/report"

    latest = await people["faculty"].get(url)
    assert latest.status_code == 200
    assert "Mon 14 Dec 2026, 09:00 EST to 10:00 EST" in text_of(latest.text)
    first_query = quote(FIRST.isoformat())
    page = await people["admin"].get(f"{url}?occurrence={first_query}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Report: Ops <huddle>" in text and "<huddle>" not in page.text  # escaped
    assert "Gus <i>Guest</i> guest" in text and "<i>Guest</i>" not in page.text
    assert re.search(r"Chat messages 1 Polls 1 \(2 votes\) Questions 1 \(1 upvote\)", text)
    row = re.search(r"Lea Learner (\S+) 09:00 EST 09:40 EST "
                    r"09:00 EST \u2013 09:40 EST 40\.0", text)
    assert row, text
    assert re.search(r"Fay Faculty organizer \S+ 08:55 EST 10:00 EST", text)
    svg = svg_of(page.text)
    assert 'role="img"' in svg and "<title id=\"timeline-t\">Attendance timeline: " \
        "Ops &lt;huddle&gt;</title>" in svg
    assert svg.count('class="connected"') == 3  # the learner's two devices: one bar
    assert "Lea Learner: 09:00 to 09:40 EST" in svg
    assert f'value="{FIRST.isoformat()}" selected' in page.text
    for href in ("polls.csv", "poll-results.csv", "questions.csv", "chat.csv"):
        assert f'href="/meetings/{meeting_id}/{href}"' in page.text
    assert f"/meetings/{meeting_id}/attendance.csv?occurrence={quote(FIRST.isoformat(), safe='')}" \
        in page.text

    wrong = await people["admin"].get(f"{url}?occurrence=2026-12-08T09:00")
    assert wrong.status_code == 422
    assert ("This meeting has no occurrence starting 2026-12-08 09:00 EST; choose one of the "
            "dates listed on the meeting's report.") in text_of(wrong.text)
    garbled = await people["admin"].get(f"{url}?occurrence=soon")
    assert garbled.status_code == 422 and "is not a time" in text_of(garbled.text)

    assert (await people["learner"].get(url)).status_code == 403
    assert (await people["other_faculty"].get(url)).status_code == 404
    assert (await people["admin"].get("/meetings/999999/report")).status_code == 404
    anon = await client.get(url)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/signin")


async def test_a_meetings_attendance_and_chat_download_as_csv(
    services: Services, cast: Cast, signed_in: SignedIn, clock: MovableClock
) -> None:
    meeting_id = await _meeting(services, cast, clock)
    people = await _everyone(signed_in, cast)
    query = f"occurrence={quote(FIRST.isoformat())}"

    attendance = await people["faculty"].get(f"/meetings/{meeting_id}/attendance.csv?{query}")
    assert attendance.status_code == 200
    assert attendance.headers["content-type"].startswith("text/csv")
    assert (f'filename="attendance-meeting-{meeting_id}-2026-12-07.csv"'
            in attendance.headers["content-disposition"])
    assert rows_of(attendance.text) == [
        ["name", "email", "guest", "first_joined", "last_left", "minutes", "connections"],
        ["Fay Faculty", cast.faculty.email, "no", "2026-12-07 08:55 EST",
         "2026-12-07 10:00 EST", "65.0", "1"],
        ["Gus <i>Guest</i>", "gus@partner.example.com", "yes", "2026-12-07 09:05 EST",
         "2026-12-07 09:30 EST", "25.0", "1"],
        ["Lea Learner", cast.learner.email, "no", "2026-12-07 09:00 EST",
         "2026-12-07 09:40 EST", "40.0", "2"],
    ]
    latest = await people["admin"].get(f"/meetings/{meeting_id}/attendance.csv")
    assert [r[0] for r in rows_of(latest.text)] == ["name", "Lea Learner"]

    chat = await people["admin"].get(f"/meetings/{meeting_id}/chat.csv?{query}")
    assert chat.status_code == 200
    assert f'filename="chat-meeting-{meeting_id}-2026-12-07.csv"' in \
        chat.headers["content-disposition"]
    assert rows_of(chat.text) == [
        ["sent_at", "sender", "audience", "text"],
        ["2026-12-07 09:05:00 EST", "Lea Learner", "everyone", "'@SUM(A1) <b>hi</b>"],
    ]
    every = await people["faculty"].get(f"/meetings/{meeting_id}/chat.csv")
    assert [r[3] for r in rows_of(every.text)[1:]] == ["'@SUM(A1) <b>hi</b>", "week two"]
    assert f'filename="chat-meeting-{meeting_id}.csv"' in every.headers["content-disposition"]

    for path in ("attendance.csv", "chat.csv"):
        assert (await people["learner"].get(f"/meetings/{meeting_id}/{path}")).status_code == 403
        refused = await people["other_faculty"].get(f"/meetings/{meeting_id}/{path}")
        assert refused.status_code == 404 and "SUM(A1)" not in refused.text
    bad = await people["admin"].get(f"/meetings/{meeting_id}/chat.csv?occurrence=2020-01-01")
    assert bad.status_code == 422


async def test_the_meeting_page_links_the_report_for_those_who_may_read_it(
    services: Services, cast: Cast, signed_in: SignedIn, clock: MovableClock
) -> None:
    meeting_id = await _meeting(services, cast, clock)
    people = await _everyone(signed_in, cast)
    link = f'href="/meetings/{meeting_id}/report"'
    for role in ("faculty", "admin"):
        assert link in (await people[role].get(f"/meetings/{meeting_id}")).text
    assert link not in (await people["learner"].get(f"/meetings/{meeting_id}")).text


# -- a course session -------------------------------------------------------------------------
async def test_a_sessions_report_is_for_the_courses_faculty_and_admins(
    services: Services, cast: Cast, signed_in: SignedIn, clock: MovableClock
) -> None:
    course = await make_course(services, cast.admin, faculty_ids=[cast.faculty.id])
    live = await make_live(services, cast.admin, course, starts_at=START, title="Sepsis <update>")
    room = f"activity-{live.id}"
    await attend(services, live, cast.faculty, START - timedelta(minutes=5),
                 START + timedelta(minutes=60), role="host")
    await attend(services, live, cast.learner, START + timedelta(minutes=15),
                 START + timedelta(minutes=45))
    await records.chat(services, room, cast.learner, START + timedelta(minutes=20))
    await records.poll(services, room, START + timedelta(minutes=25), voters=[cast.learner])
    clock.at = START + timedelta(hours=3)
    people = await _everyone(signed_in, cast)
    url = f"/admin/activities/{live.id}/session-report"

    for role in ("faculty", "admin"):
        page = await people[role].get(url)
        assert page.status_code == 200, role
        text = text_of(page.text)
        assert "Session report: Sepsis <update>" in text and "<update>" not in page.text
        assert re.search(r"Lea Learner \S+ 07:15 EST 07:45 EST 07:15 EST \u2013 07:45 EST "
                         r"30\.0 50\.0%", text), text
        assert "Chat messages 1 Polls 1 (1 vote) Questions 0 (0 upvotes)" in text
        for href in ("attendance", "attendance.csv", "chat.csv", "polls.csv", "poll-results.csv",
                     "questions.csv", "report"):
            assert f'href="/admin/activities/{live.id}/{href}"' in page.text
        svg = svg_of(page.text)
        assert svg.count('class="connected"') == 2
        assert "live window (as scheduled), 07:00 to 08:00 EST" not in svg  # hosts decided it
        assert "live window (from the faculty&#39;s connections), 07:00 to 08:00 EST" in svg
    assert (await people["other_faculty"].get(url)).status_code == 403
    assert (await people["learner"].get(url)).status_code == 403
    assert (await people["admin"].get("/admin/activities/999999/session-report")).status_code \
        == 404
    # the activity's admin pages lead there
    for page_url in (f"/admin/courses/{course.id}/edit", f"/admin/activities/{live.id}/attendance",
                     f"/admin/activities/{live.id}/report"):
        assert f'href="{url}"' in (await people["faculty"].get(page_url)).text, page_url


# -- engagement per learner ------------------------------------------------------------------
async def _engagement_scene(
    services: Services, cast: Cast, clock: MovableClock
) -> tuple[Course, User]:
    """A session of a course the faculty member teaches and one of another course, attended
    by the learner and by a nurse; the learner answered a poll, asked and chatted."""
    course = await make_course(services, cast.admin, title="Cardiology",
                               faculty_ids=[cast.faculty.id])
    other = await make_course(services, cast.admin, title="Nephrology")
    live = await make_live(services, cast.admin, course, starts_at=START)
    elsewhere = await make_live(services, cast.admin, other, starts_at=START)
    nurse = await make_user(services, Role.LEARNER, name="=Nina Nurse", degree="RN")
    await attend(services, live, cast.learner, START, START + timedelta(minutes=30))
    await attend(services, live, cast.faculty, START, START + timedelta(minutes=60))
    await attend(services, elsewhere, nurse, START, START + timedelta(minutes=15))
    room = f"activity-{live.id}"
    await records.poll(services, room, START + timedelta(minutes=5), voters=[cast.learner])
    await records.poll(services, room, START + timedelta(minutes=6))
    await records.question(services, room, cast.learner, START + timedelta(minutes=7))
    await records.chat(services, room, cast.learner, START + timedelta(minutes=8))
    clock.at = START + timedelta(days=1)
    return course, nurse


async def test_engagement_per_learner_for_the_cme_office(
    services: Services, cast: Cast, signed_in: SignedIn, clock: MovableClock
) -> None:
    course, nurse = await _engagement_scene(services, cast, clock)
    people = await _everyone(signed_in, cast)
    admin = people["admin"]

    page = await admin.get("/reports/engagement")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "1 Jan 2026 to 31 Dec 2026 · 2 live sessions" in text
    assert "=Nina Nurse" in text and "Lea Learner" in text and "Fay Faculty" not in text
    assert re.search(r"Lea Learner \S+ \u2013 1 30\.0 1 of 2 1 0 1", text), text

    mine = await admin.get(f"/reports/engagement?course={course.id}&from=2026-12-01"
                           "&to=2026-12-01")
    assert mine.status_code == 200 and "=Nina Nurse" not in text_of(mine.text)
    assert (f'href="/reports/engagement?format=csv&amp;from=2026-12-01&amp;to=2026-12-01'
            f'&amp;course={course.id}"') in mine.text

    download = await admin.get("/reports/engagement?format=csv&year=2026")
    assert download.status_code == 200
    assert 'filename="engagement-2026-01-01-to-2026-12-31.csv"' in \
        download.headers["content-disposition"]
    assert rows_of(download.text)[1:] == [
        ["'=Nina Nurse", nurse.email, "RN", "1", "15.0", "0", "0", "0", "0", "0"],
        ["Lea Learner", cast.learner.email, "", "1", "30.0", "1", "2", "1", "0", "1"],
    ]
    one_course = await admin.get(f"/reports/engagement?format=csv&course={course.id}")
    assert f'filename="engagement-course-{course.id}-2026-01-01-to-2026-12-31.csv"' in \
        one_course.headers["content-disposition"]
    assert [r[0] for r in rows_of(one_course.text)] == ["name", "Lea Learner"]

    bad = await admin.get("/reports/engagement?course=cardio&from=2026-12-31&to=2026-01-01"
                          "&format=pdf")
    assert bad.status_code == 422
    assert field_error(bad.text, "course") == "Choose a course from the list, or All courses."
    assert "swap them" in (field_error(bad.text, "to") or "")
    assert "format=csv" in text_of(bad.text)
    missing = await admin.get("/reports/engagement?course=999999")
    assert missing.status_code == 422
    assert field_error(missing.text, "course") == \
        "There is no course 999999; choose one from the list."
    for role in ("faculty", "other_faculty", "learner"):
        assert (await people[role].get("/reports/engagement")).status_code == 403, role
    assert 'href="/reports/engagement"' in (await admin.get("/admin/reports")).text

