"""Attendance of live sessions: the interval rules as properties, and the service on SQLite and
PostgreSQL (joins and leaves, reconnects, two devices, clipping, bad events, adjustments)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.wiring import Services
from courses.activity_details import ActivityDetailsService
from courses.attendance import (
    AttendanceService,
    LearnerAttendance,
    attended_intervals,
    instructional_intervals,
    subtract,
)
from courses.designations import DesignationService
from courses.errors import ActivityNotFound, InvalidInput, PermissionDenied
from courses.live_window import WindowSource, live_window
from courses.models import Activity, Course, Role, User
from courses.watching import Interval, total
from tests.conftest import START, MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


# -- the interval rules (pure) ---------------------------------------------------------------
times = st.integers(min_value=-500, max_value=4500).map(lambda n: n / 4)
intervals_st = st.tuples(times, times)  # reversed ones included: a buggy client sends them
interval_lists = st.lists(intervals_st, max_size=25)
WINDOW: Interval = (0.0, 3600.0)


@given(interval_lists, interval_lists, interval_lists)
def test_attended_time_never_exceeds_the_window(
    spans: list[Interval], added: list[Interval], removed: list[Interval]
) -> None:
    attended = attended_intervals(spans, WINDOW, added=added, removed=removed)
    assert total(attended) <= WINDOW[1] - WINDOW[0]
    for start, end in attended:
        assert WINDOW[0] <= start < end <= WINDOW[1]


@given(interval_lists, st.randoms())
def test_attended_time_does_not_depend_on_event_order(spans: list[Interval], rnd: object) -> None:
    shuffled = list(spans)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert attended_intervals(shuffled, WINDOW) == attended_intervals(spans, WINDOW)


@given(interval_lists, st.data())
def test_duplicate_spans_change_nothing(spans: list[Interval], data: st.DataObject) -> None:
    again = data.draw(st.lists(st.sampled_from(spans), max_size=10)) if spans else []
    assert attended_intervals([*spans, *again], WINDOW) == attended_intervals(spans, WINDOW)


@given(interval_lists, interval_lists)
def test_overlaps_count_once_and_each_span_adds_at_most_its_length(
    first: list[Interval], second: list[Interval]
) -> None:
    both = total(attended_intervals([*first, *second], WINDOW))
    assert both <= total(attended_intervals(first, WINDOW)) + total(
        attended_intervals(second, WINDOW)
    )
    assert both >= max(
        total(attended_intervals(first, WINDOW)), total(attended_intervals(second, WINDOW))
    )


@given(interval_lists, interval_lists)
def test_removed_time_is_never_counted(spans: list[Interval], removed: list[Interval]) -> None:
    attended = attended_intervals(spans, WINDOW, removed=removed)
    for start, end in attended:
        middle = (start + end) / 2
        assert not any(s < middle < e for s, e in removed)
    # and breaks take away exactly like removals
    assert attended_intervals(spans, WINDOW, breaks=removed) == attended


@given(interval_lists, interval_lists)
def test_subtract_keeps_exactly_what_is_not_removed(
    intervals: list[Interval], removed: list[Interval]
) -> None:
    left = subtract(intervals, removed)
    assert total(left) <= total(intervals)
    assert total(left) + total(subtract(intervals, subtract(intervals, removed))) == pytest.approx(
        total(intervals)
    )


def test_reversed_spans_count_nothing() -> None:
    assert attended_intervals([(100.0, 50.0)], WINDOW) == []


@given(interval_lists, interval_lists, interval_lists)
def test_attended_time_never_exceeds_the_instructional_time(
    spans: list[Interval], added: list[Interval], breaks: list[Interval]
) -> None:
    attended = attended_intervals(spans, WINDOW, added=added, breaks=breaks)
    session = total(instructional_intervals(WINDOW, breaks))
    assert total(attended) <= session
    assert session <= WINDOW[1] - WINDOW[0]
    # everything attended lies in the instructional time
    assert total(subtract(attended, instructional_intervals(WINDOW, breaks))) == 0


@given(interval_lists, interval_lists, interval_lists)
def test_break_minutes_are_never_counted(
    spans: list[Interval], added: list[Interval], breaks: list[Interval]
) -> None:
    attended = attended_intervals(spans, WINDOW, added=added, breaks=breaks)
    for start, end in breaks:
        if end <= start:
            continue  # a reversed break covers nothing
        inside = subtract(attended, subtract(attended, [(start, end)]))
        assert total(inside) == 0, (start, end, attended)
    # a learner there throughout is counted exactly the instructional time
    everything = attended_intervals([WINDOW], WINDOW, breaks=breaks)
    assert everything == instructional_intervals(WINDOW, breaks)


@given(interval_lists, interval_lists)
def test_reversed_and_overlapping_client_intervals_are_normalised(
    spans: list[Interval], reversed_: list[Interval]
) -> None:
    backwards = [(max(s, e), min(s, e)) for s, e in reversed_ if s != e]
    attended = attended_intervals([*spans, *backwards], WINDOW)
    assert attended == attended_intervals(spans, WINDOW)  # reversed ones add nothing
    for (s1, e1), (s2, _) in itertools.pairwise(attended):
        assert s1 < e1 < s2  # sorted, disjoint, not even touching
    assert all(s < e for s, e in attended)
    assert total(attended) == pytest.approx(sum(e - s for s, e in attended))


minutes_st = st.integers(min_value=-120, max_value=180)


@given(st.lists(st.tuples(minutes_st, minutes_st), max_size=8))
def test_the_live_window_from_the_faculty_stays_inside_the_schedule(
    hosts: list[tuple[int, int]],
) -> None:
    scheduled = (START, START + timedelta(minutes=60))
    window = live_window(
        scheduled,
        [(START + timedelta(minutes=a), START + timedelta(minutes=b)) for a, b in hosts],
    )
    assert scheduled[0] <= window.start <= window.end <= scheduled[1]
    real = [(a, b) for a, b in hosts if b > a]
    first = max(0, min((a for a, _ in real), default=0))
    last = min(60, max((b for _, b in real), default=60))
    if real and first < last:
        assert window.start_source is window.end_source is WindowSource.HOSTS
        assert (window.start, window.end) == (at(first), at(last))
    else:
        assert window.start_source is window.end_source is WindowSource.SCHEDULED
        assert (window.start, window.end) == scheduled


def test_an_administrators_correction_wins_each_side() -> None:
    scheduled = (START, START + timedelta(minutes=60))
    hosts = [(at(5), at(50))]
    assert live_window(scheduled, hosts).description == "from the faculty's connections"
    window = live_window(scheduled, hosts, started_at=at(-10))
    assert (window.start, window.end) == (at(-10), at(50))
    assert window.description == (
        "start set by an administrator, end from the faculty's connections"
    )
    window = live_window(scheduled, [], started_at=at(3), ended_at=at(75))
    assert (window.start, window.end, window.seconds) == (at(3), at(75), 72 * 60.0)
    assert window.description == "set by an administrator"
    assert live_window(scheduled, [(at(70), at(80))]).description == "as scheduled"


# -- the service -----------------------------------------------------------------------------
@pytest.fixture
async def scene(services: Services, admin: User) -> dict[str, object]:
    faculty = await make_user(services, Role.FACULTY, name="Fay Faculty")
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    live = await make_live(services, admin, course, starts_at=START, minutes=60)
    learner = await make_user(services, name="Lee Learner")
    other = await make_user(services, name="Olive Other")
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=learner)
        await unit.enrollment.enroll(course.id or 0, other.id or 0, actor=other)
    return {
        "course": course,
        "live": live,
        "learner": learner,
        "other": other,
        "faculty": faculty,
        "admin": admin,
    }


async def join(services: Services, live: Activity, user: User, pid: str, minute: float) -> None:
    async with services.unit() as unit:
        await AttendanceService(unit.session, unit.clock).joined(
            activity_id=live.id or 0,
            room_id=f"activity-{live.id}",
            participant_id=pid,
            user_id=user.id or 0,
            role="participant",
            at=at(minute),
        )


async def leave(services: Services, pid: str, minute: float, reason: str = "left") -> None:
    async with services.unit() as unit:
        await AttendanceService(unit.session, unit.clock).left(
            participant_id=pid, reason=reason, at=at(minute)
        )


async def minutes_of(services: Services, live: Activity, user: User) -> float:
    async with services.unit() as unit:
        return (
            await AttendanceService(unit.session, unit.clock).learner(live.id or 0, user.id or 0)
        ).minutes


async def test_a_reconnect_and_a_second_device_count_overlaps_once(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner = scene["live"], scene["learner"]
    assert isinstance(live, Activity) and isinstance(learner, User)
    await join(services, live, learner, "p1", 0)
    await leave(services, "p1", 20, "dropped")
    await join(services, live, learner, "p2", 22)  # reconnect after a 2-minute gap
    await join(services, live, learner, "p3", 30)  # a phone too
    await leave(services, "p3", 40)
    await leave(services, "p2", 50)
    clock.at = at(90)
    assert await minutes_of(services, live, learner) == 48.0  # 20 + 28, the phone overlaps
    async with services.unit() as unit:
        mine = await AttendanceService(unit.session, unit.clock).learner(
            live.id or 0, learner.id or 0
        )
    assert [s.participant_id for s in mine.spans] == ["p1", "p2", "p3"]
    assert mine.spans[0].leave_reason == "dropped"
    assert mine.intervals == [(at(0), at(20)), (at(22), at(50))]
    assert mine.percent == 80.0


async def test_time_outside_the_live_window_is_not_counted(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner = scene["live"], scene["learner"]
    assert isinstance(live, Activity) and isinstance(learner, User)
    await join(services, live, learner, "early", -14)  # in the lobby before the start
    await leave(services, "early", 10)
    await join(services, live, learner, "late", 50)
    await leave(services, "late", 85)  # stayed for the overrun
    clock.at = at(120)
    assert await minutes_of(services, live, learner) == 20.0


async def test_duplicate_and_orphan_events_are_harmless(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner = scene["live"], scene["learner"]
    assert isinstance(live, Activity) and isinstance(learner, User)
    await leave(services, "never-joined", 5)
    await join(services, live, learner, "p1", 0)
    await join(services, live, learner, "p1", 10)  # the same join delivered again
    await leave(services, "p1", 30)
    await leave(services, "p1", 59)  # and the leave twice
    clock.at = at(120)
    assert await minutes_of(services, live, learner) == 30.0
    async with services.unit() as unit:
        mine = await AttendanceService(unit.session, unit.clock).learner(
            live.id or 0, learner.id or 0
        )
    assert len(mine.spans) == 1 and mine.spans[0].left_at == at(30)


async def test_a_leave_stamped_before_its_join_counts_nothing(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner = scene["live"], scene["learner"]
    assert isinstance(live, Activity) and isinstance(learner, User)
    await join(services, live, learner, "skewed", 30)
    await leave(services, "skewed", 10)
    clock.at = at(120)
    assert await minutes_of(services, live, learner) == 0.0


async def test_a_span_left_open_by_a_crash_ends_at_now_or_the_room_closing(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner = scene["live"], scene["learner"]
    assert isinstance(live, Activity) and isinstance(learner, User)
    await join(services, live, learner, "open", 40)
    clock.at = at(45)
    assert await minutes_of(services, live, learner) == 5.0  # so far
    clock.at = at(60 * 24)
    assert await minutes_of(services, live, learner) == 20.0  # clipped at the end


async def test_events_for_unknown_rooms_and_people_are_ignored(
    services: Services, scene: dict[str, object], admin: User
) -> None:
    course = scene["course"]
    assert isinstance(course, Course)
    module = await make_on_demand(services, admin, course)
    async with services.unit() as unit:
        attendance = AttendanceService(unit.session, unit.clock)
        assert (
            await attendance.joined(
                activity_id=module.id or 0,
                room_id="activity-x",
                participant_id="a",
                user_id=admin.id or 0,
                role="host",
                at=START,
            )
            is None
        )
        assert (
            await attendance.joined(
                activity_id=999999,
                room_id="activity-999999",
                participant_id="b",
                user_id=admin.id or 0,
                role="host",
                at=START,
            )
            is None
        )
        live = scene["live"]
        assert isinstance(live, Activity)
        assert (
            await attendance.joined(
                activity_id=live.id or 0,
                room_id="r",
                participant_id="c",
                user_id=999999,
                role="host",
                at=START,
            )
            is None
        )


async def test_roster_lists_everyone_with_their_connections(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner, other, faculty = (
        scene["live"],
        scene["learner"],
        scene["other"],
        scene["faculty"],
    )
    assert isinstance(live, Activity) and isinstance(learner, User)
    assert isinstance(other, User) and isinstance(faculty, User)
    await join(services, live, faculty, "f1", -5)
    await join(services, live, learner, "l1", 0)
    await leave(services, "l1", 60)
    await join(services, live, other, "o1", 15)
    await leave(services, "o1", 45)
    clock.at = at(61)
    async with services.unit() as unit:
        roster = await AttendanceService(unit.session, unit.clock).roster(live.id or 0, faculty)
    assert [(e.user.display_name, e.minutes, e.percent, e.is_faculty) for e in roster.entries] == [
        ("Lee Learner", 60.0, 100.0, False),
        ("Olive Other", 30.0, 50.0, False),
        ("Fay Faculty", 60.0, 100.0, True),
    ]
    faculty_entry = roster.entries[-1]
    assert faculty_entry.spans[0].left_at is None and faculty_entry.last_left is None
    assert roster.entries[1].first_joined == at(15) and roster.entries[1].last_left == at(45)


async def test_only_the_courses_staff_see_the_roster(
    services: Services, scene: dict[str, object]
) -> None:
    live, learner = scene["live"], scene["learner"]
    assert isinstance(live, Activity) and isinstance(learner, User)
    outsider = await make_user(services, Role.FACULTY)
    for who in (learner, outsider):
        async with services.unit() as unit:
            with pytest.raises(PermissionDenied):
                await AttendanceService(unit.session, unit.clock).roster(live.id or 0, who)
    course = scene["course"]
    admin = scene["admin"]
    assert isinstance(course, Course) and isinstance(admin, User)
    module = await make_on_demand(services, admin, course)
    async with services.unit() as unit:
        with pytest.raises(ActivityNotFound):
            await AttendanceService(unit.session, unit.clock).roster(module.id or 0, admin)


async def test_adjustments_add_and_remove_time_and_are_kept(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner, other, admin = (scene["live"], scene["learner"], scene["other"], scene["admin"])
    assert isinstance(live, Activity) and isinstance(learner, User)
    assert isinstance(other, User) and isinstance(admin, User)
    await join(services, live, learner, "l1", 10)
    await leave(services, "l1", 40)
    clock.at = at(70)
    async with services.unit() as unit:
        attendance = AttendanceService(unit.session, unit.clock)
        # the learner dialled in by phone for the first ten minutes: times in the zone
        added = await attendance.adjust(
            live.id or 0,
            learner.id or 0,
            start="2026-12-01T07:00",
            end="2026-12-01T07:10",
            kind="add",
            reason=" Joined by phone ",
            actor=admin,
        )
        await attendance.adjust(
            live.id or 0,
            learner.id or 0,
            start=at(20),
            end=at(25),
            kind="remove",
            reason="Camera off, not answering",
            actor=admin,
        )
        # never connected, but present in the room with a colleague
        await attendance.adjust(
            live.id or 0,
            other.id or 0,
            start=at(0),
            end=at(60),
            kind="add",
            reason="Shared a colleague's screen",
            actor=admin,
        )
    assert added.starts_at == at(0) and added.reason == "Joined by phone"
    assert await minutes_of(services, live, learner) == 35.0  # 10 + 30 - 5
    assert await minutes_of(services, live, other) == 60.0
    async with services.unit() as unit:
        roster = await AttendanceService(unit.session, unit.clock).roster(live.id or 0, admin)
        log = await AttendanceService(unit.session, unit.clock).adjustments(live.id or 0, None)
    assert [(a.kind, a.actor_id, a.created_at) for a in log] == [
        ("add", admin.id, at(70)),
        ("remove", admin.id, at(70)),
        ("add", admin.id, at(70)),
    ]
    assert roster.actors == {admin.id: admin.display_name}
    assert {e.user.display_name for e in roster.entries} == {"Lee Learner", "Olive Other"}


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"reason": "  "}, "reason", "Say why"),
        ({"kind": "double"}, "kind", "add"),
        ({"start": "yesterday"}, "start", "not a time"),
        ({"start": ""}, "start", "Give the start time"),
        ({"end": "2026-12-01T07:00"}, "end", "after the start"),
        ({"start": "2026-12-01T05:00"}, "start", "2026-12-01 06:45 EST to 2026-12-01 08:30 EST"),
        ({"end": "2026-12-02T07:10"}, "start", "hours the room was open"),
    ],
)
async def test_adjustments_are_validated(
    services: Services, scene: dict[str, object], fields: dict[str, str], field: str, words: str
) -> None:
    live, learner, admin = scene["live"], scene["learner"], scene["admin"]
    assert isinstance(live, Activity) and isinstance(learner, User) and isinstance(admin, User)
    values = {
        "start": "2026-12-01T07:10",
        "end": "2026-12-01T07:20",
        "kind": "add",
        "reason": "Joined by phone",
        **fields,
    }
    async with services.unit() as unit:
        with pytest.raises(InvalidInput) as caught:
            await AttendanceService(unit.session, unit.clock).adjust(
                live.id or 0, learner.id or 0, actor=admin, **values
            )
    assert words in caught.value.errors[field]


async def test_only_admins_adjust_and_only_for_people_of_the_course(
    services: Services, scene: dict[str, object]
) -> None:
    live, faculty, admin = scene["live"], scene["faculty"], scene["admin"]
    assert isinstance(live, Activity) and isinstance(faculty, User) and isinstance(admin, User)
    stranger = await make_user(services, name="Stan Stranger")
    async with services.unit() as unit:
        attendance = AttendanceService(unit.session, unit.clock)
        with pytest.raises(PermissionDenied):
            await attendance.adjust(
                live.id or 0,
                stranger.id or 0,
                start=at(0),
                end=at(5),
                kind="add",
                reason="x",
                actor=faculty,
            )
        with pytest.raises(InvalidInput) as caught:
            await attendance.adjust(
                live.id or 0,
                stranger.id or 0,
                start=at(0),
                end=at(5),
                kind="add",
                reason="x",
                actor=admin,
            )
        assert "Stan Stranger is not enrolled" in caught.value.errors["user_id"]
        with pytest.raises(InvalidInput):
            await attendance.adjust(
                live.id or 0, 999999, start=at(0), end=at(5), kind="add", reason="x", actor=admin
            )
        assert await attendance.adjustments(live.id or 0, None) == []


async def attendance_of(services: Services, live: Activity, user: User) -> LearnerAttendance:
    async with services.unit() as unit:
        return await AttendanceService(unit.session, unit.clock).learner(live.id or 0, user.id or 0)


async def add_break(services: Services, live: Activity, admin: User, start: str, end: str) -> None:
    async with services.unit() as unit:
        await DesignationService(unit.session, unit.clock).add_break(
            live.id or 0,
            {"start": f"2026-12-01T{start}", "end": f"2026-12-01T{end}", "title": "Coffee"},
            admin,
        )


async def test_breaks_are_taken_out_of_attended_and_session_time(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner, other, admin = (scene["live"], scene["learner"], scene["other"], scene["admin"])
    assert isinstance(live, Activity) and isinstance(learner, User)
    assert isinstance(other, User) and isinstance(admin, User)
    clock.at = at(-60)  # breaks are set before the session
    await add_break(services, live, admin, "07:20", "07:30")
    await join(services, live, learner, "l1", 0)
    await leave(services, "l1", 60)
    await join(services, live, other, "o1", 15)  # came back from the break late
    await leave(services, "o1", 40)
    clock.at = at(90)
    mine = await attendance_of(services, live, learner)
    assert (mine.minutes, mine.session_seconds, mine.window_seconds, mine.percent) == (
        50.0,
        3000.0,
        3600.0,
        100.0,
    )
    assert mine.intervals == [(at(0), at(20)), (at(30), at(60))]
    theirs = await attendance_of(services, live, other)
    assert (theirs.minutes, theirs.percent) == (15.0, 30.0)  # 15-20 and 30-40
    async with services.unit() as unit:
        roster = await AttendanceService(unit.session, unit.clock).roster(live.id or 0, admin)
    assert [b.title for b in roster.breaks] == ["Coffee"]
    assert roster.session_seconds == 3000.0
    assert [(e.user.display_name, e.minutes, e.percent) for e in roster.entries] == [
        ("Lee Learner", 50.0, 100.0),
        ("Olive Other", 15.0, 30.0),
    ]


async def test_the_window_is_the_facultys_connections_inside_the_schedule(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner, faculty = scene["live"], scene["learner"], scene["faculty"]
    assert isinstance(live, Activity) and isinstance(learner, User)
    assert isinstance(faculty, User)
    await join(services, live, learner, "l1", -10)
    await leave(services, "l1", 75)
    await join(services, live, faculty, "f1", 10)  # started ten minutes late
    await leave(services, "f1", 30, "dropped")
    await join(services, live, faculty, "f2", 32)  # a reconnect gap stays in the session
    await leave(services, "f2", 50)  # and ended ten minutes early
    clock.at = at(120)
    mine = await attendance_of(services, live, learner)
    assert (mine.minutes, mine.session_seconds, mine.percent) == (40.0, 2400.0, 100.0)
    assert (mine.live_window.start, mine.live_window.end) == (at(10), at(50))
    assert mine.live_window.start_source is WindowSource.HOSTS
    faculty_view = await attendance_of(services, live, faculty)
    assert faculty_view.is_faculty and faculty_view.minutes == 38.0


async def test_a_host_who_is_not_of_the_course_also_opens_the_window(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner, admin = scene["live"], scene["learner"], scene["admin"]
    assert isinstance(live, Activity) and isinstance(learner, User) and isinstance(admin, User)
    await join(services, live, learner, "l1", 0)
    await leave(services, "l1", 60)
    async with services.unit() as unit:
        await AttendanceService(unit.session, unit.clock).joined(
            activity_id=live.id or 0,
            room_id=f"activity-{live.id}",
            participant_id="h1",
            user_id=admin.id or 0,
            role="host",
            at=at(5),
        )
    clock.at = at(45)  # the host is still connected: the session so far
    mine = await attendance_of(services, live, learner)
    assert (mine.live_window.start, mine.live_window.end) == (at(5), at(45))
    assert mine.minutes == 40.0
    clock.at = at(300)  # never closed: until the scheduled end
    mine = await attendance_of(services, live, learner)
    assert (mine.live_window.start, mine.live_window.end, mine.minutes) == (at(5), at(60), 55.0)


async def test_an_administrators_live_window_is_used_as_set(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner, faculty, admin = (
        scene["live"],
        scene["learner"],
        scene["faculty"],
        scene["admin"],
    )
    assert isinstance(live, Activity) and isinstance(learner, User)
    assert isinstance(faculty, User) and isinstance(admin, User)
    await join(services, live, learner, "l1", 0)
    await leave(services, "l1", 70)
    await join(services, live, faculty, "f1", 0)
    await leave(services, "f1", 20)  # presented on, from a phone the media never saw
    clock.at = at(120)
    assert (await attendance_of(services, live, learner)).minutes == 20.0
    async with services.unit() as unit:
        await ActivityDetailsService(unit.session, unit.clock).correct_live_window(
            live.id or 0, {"start": "2026-12-01T07:00", "end": "2026-12-01T08:10"}, admin
        )
    mine = await attendance_of(services, live, learner)
    assert (mine.minutes, mine.session_seconds, mine.percent) == (70.0, 4200.0, 100.0)
    assert mine.live_window.description == "set by an administrator"


async def test_without_faculty_connections_the_schedule_is_the_window(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, learner = scene["live"], scene["learner"]
    assert isinstance(live, Activity) and isinstance(learner, User)
    await join(services, live, learner, "l1", 30)
    await leave(services, "l1", 45)
    clock.at = at(120)
    mine = await attendance_of(services, live, learner)
    assert (mine.session_seconds, mine.minutes, mine.percent) == (3600.0, 15.0, 25.0)
    assert mine.live_window.description == "as scheduled"
