"""The catalog: search, drafts, who edits what, and activities, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.wiring import Services
from courses.catalog import PAGE_SIZE, CatalogQuery, CourseView
from courses.errors import (
    ActivityNotFound,
    CourseNotFound,
    InvalidInput,
    PermissionDenied,
    SlugTaken,
)
from courses.models import Activity, Course, Role, User
from tests.conftest import MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user


async def search(services: Services, viewer: User | None, **query: Any) -> list[str]:
    async with services.unit() as unit:
        found = await unit.catalog.search(viewer, CatalogQuery(**query))
    return [v.course.title for v in found]


async def view(services: Services, course: Course | int, viewer: User | None) -> CourseView:
    course_id = course if isinstance(course, int) else course.id or 0
    async with services.unit() as unit:
        return await unit.catalog.course(course_id, viewer)


async def update(services: Services, course: Course, data: dict[str, Any], actor: User) -> Course:
    async with services.unit() as unit:
        return await unit.catalog.update_course(course.id or 0, data, actor)


async def add(services: Services, course: Course, data: dict[str, Any], actor: User) -> Activity:
    async with services.unit() as unit:
        return await unit.catalog.add_activity(course.id or 0, data, actor)


async def edit(
    services: Services, activity: Activity, data: dict[str, Any], actor: User
) -> Activity:
    async with services.unit() as unit:
        return await unit.catalog.update_activity(activity.id or 0, data, actor)


def errors_of(caught: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return set(caught.value.errors)


@pytest.fixture
async def faculty(services: Services) -> User:
    return await make_user(services, Role.FACULTY, name="Fay Faculty")


# -- searching -------------------------------------------------------------------------------
@pytest.fixture
async def shelf(services: Services, admin: User, faculty: User) -> dict[str, Course]:
    """A few courses to search, and the drafts some people may see."""
    courses = {
        "sepsis": await make_course(services, admin, title="Sepsis Bundle Update",
                                    tags="critical-care, infection"),
        "anticoag": await make_course(services, admin, title="Bleeding Risk",
                                      summary="Anticoagulation in the elderly"),
        "ecmo": await make_course(services, admin, title="Heart-Lung Support",
                                  description="When to consider ECMO, and how.",
                                  tags="critical-care"),
        "cardio": await make_course(services, admin, title="Atrial Fibrillation",
                                    tags="cardiology"),
        "my_draft": await make_course(services, admin, title="Draft Sepsis Sequel",
                                      published=False, faculty_ids=[faculty.id]),
        "other_draft": await make_course(services, admin, title="Draft Secret Cardiology",
                                         published=False, tags="cardiology"),
    }
    soon = datetime(2026, 12, 20, 14, 0, tzinfo=UTC)
    await make_live(services, admin, courses["sepsis"], starts_at=soon)
    await make_on_demand(services, admin, courses["sepsis"])
    await make_on_demand(services, admin, courses["anticoag"])
    await make_live(services, admin, courses["cardio"], starts_at=soon)
    return courses


async def test_everyone_sees_published_courses_by_title(
    services: Services, shelf: dict[str, Course]
) -> None:
    learner = await make_user(services)
    expected = ["Atrial Fibrillation", "Bleeding Risk", "Heart-Lung Support",
                "Sepsis Bundle Update"]
    assert await search(services, None) == expected
    assert await search(services, learner) == expected


async def test_drafts_are_seen_by_admins_and_their_own_faculty(
    services: Services, admin: User, faculty: User, shelf: dict[str, Course]
) -> None:
    other_faculty = await make_user(services, Role.FACULTY)
    assert "Draft Secret Cardiology" in await search(services, admin)
    assert "Draft Sepsis Sequel" in await search(services, admin)
    mine = await search(services, faculty)
    assert "Draft Sepsis Sequel" in mine
    assert "Draft Secret Cardiology" not in mine
    assert len(mine) == 5
    assert len(await search(services, other_faculty)) == 4


@pytest.mark.parametrize(
    ("q", "titles"),
    [
        ("sepsis", ["Sepsis Bundle Update"]),  # title
        ("  SEPSIS ", ["Sepsis Bundle Update"]),  # any case, trimmed
        ("anticoagulation", ["Bleeding Risk"]),  # summary
        ("ecmo", ["Heart-Lung Support"]),  # description
        ("critical", ["Heart-Lung Support", "Sepsis Bundle Update"]),  # tag
        ("cardiology", ["Atrial Fibrillation"]),
        ("no such thing", []),
        ("", ["Atrial Fibrillation", "Bleeding Risk", "Heart-Lung Support",
              "Sepsis Bundle Update"]),
    ],
)
async def test_search_by_words(
    services: Services, shelf: dict[str, Course], q: str, titles: list[str]
) -> None:
    assert await search(services, None, q=q) == titles


async def test_search_words_find_drafts_only_for_those_who_see_them(
    services: Services, admin: User, faculty: User, shelf: dict[str, Course]
) -> None:
    assert await search(services, None, q="sepsis") == ["Sepsis Bundle Update"]
    assert await search(services, faculty, q="sepsis") == [
        "Draft Sepsis Sequel", "Sepsis Bundle Update"
    ]
    assert await search(services, admin, q="cardiology") == [
        "Atrial Fibrillation", "Draft Secret Cardiology"
    ]


async def test_filter_by_tag_and_format(
    services: Services, admin: User, shelf: dict[str, Course]
) -> None:
    assert await search(services, None, tag="critical-care") == [
        "Heart-Lung Support", "Sepsis Bundle Update"
    ]
    assert await search(services, None, tag="critical") == []  # a tag matches whole
    assert await search(services, None, format="live") == [
        "Atrial Fibrillation", "Sepsis Bundle Update"
    ]
    assert await search(services, None, format="on_demand") == [
        "Bleeding Risk", "Sepsis Bundle Update"
    ]
    assert await search(services, None, format="live", tag="critical-care") == [
        "Sepsis Bundle Update"
    ]
    assert await search(services, None, q="bundle", format="on_demand") == [
        "Sepsis Bundle Update"
    ]
    assert len(await search(services, None, format="anything")) == 4  # ignored


async def test_all_tags_come_from_published_courses(
    services: Services, admin: User, shelf: dict[str, Course]
) -> None:
    await make_course(services, admin, title="Hidden", published=False, tags="secret-tag")
    async with services.unit() as unit:
        assert await unit.catalog.all_tags() == ["cardiology", "critical-care", "infection"]


async def test_search_pages(services: Services, admin: User) -> None:
    for i in range(PAGE_SIZE + 2):
        await make_course(services, admin, title=f"Course {i:02d}")
    first = await search(services, None)
    second = await search(services, None, page=2)
    assert len(first) == PAGE_SIZE
    assert second == ["Course 24", "Course 25"]
    assert await search(services, None, page=0) == first
    assert await search(services, None, page=3) == []


async def test_search_views_carry_tags_faculty_and_activities(
    services: Services, admin: User, faculty: User, shelf: dict[str, Course]
) -> None:
    async with services.unit() as unit:
        (found,) = await unit.catalog.search(None, CatalogQuery(q="bundle"))
    assert found.tags == ["critical-care", "infection"]
    assert [a.kind for a in found.activities] == ["live", "on_demand"]
    assert len(found.live_sessions) == 1
    assert len(found.on_demand) == 1
    assert found.faculty == []


# -- one course ----------------------------------------------------------------------------
async def test_a_draft_is_not_found_by_those_who_may_not_see_it(
    services: Services, admin: User, faculty: User, shelf: dict[str, Course]
) -> None:
    draft = shelf["my_draft"]
    learner = await make_user(services)
    other_faculty = await make_user(services, Role.FACULTY)
    for viewer in (None, learner, other_faculty):
        with pytest.raises(CourseNotFound):
            await view(services, draft, viewer)
    assert (await view(services, draft, faculty)).course.title == "Draft Sepsis Sequel"
    assert (await view(services, draft, admin)).faculty_ids == {faculty.id}
    with pytest.raises(CourseNotFound):
        await view(services, 987654, admin)


async def test_course_view_contents(
    services: Services, admin: User, faculty: User, clock: MovableClock
) -> None:
    second = await make_user(services, Role.FACULTY, name="Abe Second")
    course = await make_course(services, admin, title="Stroke", tags="neuro, acute, stroke",
                               faculty_ids=[faculty.id, second.id])
    recording = await make_on_demand(services, admin, course, title="Primer")
    later = await make_live(services, admin, course, starts_at=clock.now() + timedelta(days=2),
                            title="Later")
    sooner = await make_live(services, admin, course, starts_at=clock.now() + timedelta(days=1),
                             title="Sooner")
    await make_live(services, admin, course, starts_at=clock.now() - timedelta(days=1),
                    title="Past")
    shown = await view(services, course, None)
    assert shown.tags == ["acute", "neuro", "stroke"]
    assert [u.display_name for u in shown.faculty] == ["Abe Second", "Fay Faculty"]
    assert [a.title for a in shown.activities] == ["Primer", "Later", "Sooner", "Past"]
    assert [a.id for a in shown.on_demand] == [recording.id]
    assert shown.next_session(clock.now()) is not None
    assert shown.next_session(clock.now()).id == sooner.id  # type: ignore[union-attr]
    assert shown.next_session(clock.now() + timedelta(days=1, hours=2)).id == later.id  # type: ignore[union-attr]
    assert shown.next_session(clock.now() + timedelta(days=3)) is None


async def test_managed_courses(
    services: Services, admin: User, faculty: User, shelf: dict[str, Course]
) -> None:
    async with services.unit() as unit:
        assert [v.course.title for v in await unit.catalog.managed_courses(faculty)] == [
            "Draft Sepsis Sequel"
        ]
        assert len(await unit.catalog.managed_courses(admin)) == 6
        teachers = [u.display_name for u in await unit.catalog.teachers()]
    assert teachers == ["Ada Admin", "Fay Faculty"]


# -- creating and editing courses ------------------------------------------------------------
async def test_create_course(services: Services, admin: User, faculty: User,
                             clock: MovableClock) -> None:
    async with services.unit() as unit:
        course = await unit.catalog.create_course(
            {"title": " Heart Failure 2026 ", "summary": "GDMT", "tags": "Cardiology, HF",
             "capacity": "30", "published": "on", "faculty_ids": [str(faculty.id)]},
            admin,
        )
    shown = await view(services, course, None)
    assert (shown.course.slug, shown.course.title, shown.course.capacity) == (
        "heart-failure-2026", "Heart Failure 2026", 30
    )
    assert shown.course.published
    assert shown.course.created_at == shown.course.updated_at == clock.now()
    assert shown.tags == ["cardiology", "hf"]
    assert shown.faculty_ids == {faculty.id}


@pytest.mark.parametrize("role", [Role.FACULTY, Role.LEARNER])
async def test_only_admins_create_courses(services: Services, role: Role) -> None:
    actor = await make_user(services, role)
    with pytest.raises(PermissionDenied):
        async with services.unit() as unit:
            await unit.catalog.create_course({"title": "Mine"}, actor)
    assert await search(services, None) == []


async def test_create_course_checks_its_fields(services: Services, admin: User) -> None:
    with pytest.raises(InvalidInput) as caught:
        async with services.unit() as unit:
            await unit.catalog.create_course(
                {"title": "", "slug": "Bad Slug", "capacity": "0", "colour": "red"}, admin
            )
    assert errors_of(caught) == {"title", "slug", "capacity", "colour"}


async def test_slugs_are_unique(services: Services, admin: User) -> None:
    first = await make_course(services, admin, title="Sepsis")
    with pytest.raises(SlugTaken):
        await make_course(services, admin, title="SEPSIS!")  # same default slug
    second = await make_course(services, admin, title="Sepsis", slug="sepsis-2")
    with pytest.raises(SlugTaken):
        await update(services, second, {"slug": "sepsis"}, admin)
    # keeping one's own slug is fine
    await update(services, first, {"slug": "sepsis", "title": "Sepsis, revised"}, admin)
    assert (await view(services, first, None)).course.slug == "sepsis"
    assert (await view(services, second, None)).course.slug == "sepsis-2"


async def test_faculty_must_be_faculty_or_admin(
    services: Services, admin: User, faculty: User
) -> None:
    learner = await make_user(services)
    for ids in ([learner.id], [faculty.id, 987654]):
        with pytest.raises(InvalidInput) as caught:
            await make_course(services, admin, title="Taught", faculty_ids=ids)
        assert errors_of(caught) == {"faculty_ids"}
    assert await search(services, admin) == []  # nothing half-made is left
    course = await make_course(services, admin, title="Taught",
                               faculty_ids=[faculty.id, admin.id])
    assert (await view(services, course, None)).faculty_ids == {faculty.id, admin.id}
    with pytest.raises(InvalidInput):
        await update(services, course, {"faculty_ids": [learner.id]}, admin)
    assert (await view(services, course, None)).faculty_ids == {faculty.id, admin.id}


async def test_admin_changes_everything(
    services: Services, admin: User, faculty: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, title="Old", published=False)
    clock.at += timedelta(hours=1)
    await update(services, course, {"title": "New", "published": True, "capacity": 5,
                                    "faculty_ids": [faculty.id], "tags": "a, b"}, admin)
    shown = await view(services, course, None)
    assert (shown.course.title, shown.course.published, shown.course.capacity) == ("New", True, 5)
    assert shown.course.slug == "old"  # a new title keeps the address
    assert shown.course.updated_at == clock.now()
    assert shown.course.created_at == clock.now() - timedelta(hours=1)
    assert shown.faculty_ids == {faculty.id}
    assert shown.tags == ["a", "b"]
    # fields left out keep their values
    await update(services, course, {"summary": "Short"}, admin)
    shown = await view(services, course, None)
    assert (shown.course.title, shown.course.summary, shown.tags) == ("New", "Short", ["a", "b"])


async def test_faculty_edit_the_content_of_their_course(
    services: Services, admin: User, faculty: User
) -> None:
    course = await make_course(services, admin, title="Theirs", capacity=10,
                               faculty_ids=[faculty.id])
    await update(services, course, {"title": "Theirs, revised", "summary": "s",
                                    "description": "d", "tags": "x", "slug": "theirs-v2",
                                    "published": True, "capacity": 10,
                                    "faculty_ids": [faculty.id]}, faculty)
    shown = await view(services, course, None)
    assert (shown.course.title, shown.course.summary, shown.course.description,
            shown.course.slug, shown.tags) == ("Theirs, revised", "s", "d", "theirs-v2", ["x"])


@pytest.mark.parametrize(
    ("change", "named"),
    [({"published": False}, "published"), ({"capacity": 11}, "capacity"),
     ({"capacity": ""}, "capacity"), ({"faculty_ids": []}, "faculty_ids")],
)
async def test_faculty_may_not_publish_resize_or_restaff(
    services: Services, admin: User, faculty: User, change: dict[str, Any], named: str
) -> None:
    course = await make_course(services, admin, title="Theirs", capacity=10,
                               faculty_ids=[faculty.id])
    with pytest.raises(PermissionDenied) as caught:
        await update(services, course, {"title": "Sneaky", **change}, faculty)
    assert named in caught.value.message
    shown = await view(services, course, admin)
    assert (shown.course.title, shown.course.published, shown.course.capacity) == (
        "Theirs", True, 10
    )
    assert shown.faculty_ids == {faculty.id}


async def test_faculty_may_not_edit_other_courses(
    services: Services, admin: User, faculty: User
) -> None:
    published = await make_course(services, admin, title="Someone else's")
    draft = await make_course(services, admin, title="Someone else's draft", published=False)
    learner = await make_user(services)
    with pytest.raises(PermissionDenied):
        await update(services, published, {"title": "Mine now"}, faculty)
    with pytest.raises(PermissionDenied):
        await update(services, published, {"title": "Mine now"}, learner)
    with pytest.raises(CourseNotFound):
        await update(services, draft, {"title": "Mine now"}, faculty)
    assert (await view(services, published, None)).course.title == "Someone else's"


# -- activities ------------------------------------------------------------------------------
LIVE = {"kind": "live", "title": "Grand rounds", "timezone": "America/New_York",
        "starts_at": "2026-12-10T09:00", "ends_at": "2026-12-10T10:30"}
RECORDING = {"kind": "on_demand", "title": "Recording", "duration_minutes": 45}


async def test_live_session_times_are_kept_in_utc(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin)
    added = await add(services, course, {**LIVE, "capacity": "25"}, admin)
    summer = await add(services, course, {**LIVE, "starts_at": "2027-07-01T09:00",
                                          "ends_at": "2027-07-01T10:00"}, admin)
    (stored, stored_summer) = (await view(services, course, None)).activities
    assert stored.id == added.id
    assert stored.starts_at == datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
    assert stored.ends_at == datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    assert stored.starts_at is not None and stored.starts_at.utcoffset() == timedelta(0)
    assert (stored.timezone, stored.capacity, stored.duration_minutes) == (
        "America/New_York", 25, None
    )
    assert stored.created_at == clock.now()
    assert stored_summer.id == summer.id
    assert stored_summer.starts_at == datetime(2027, 7, 1, 13, 0, tzinfo=UTC)


async def test_positions_increase(services: Services, admin: User) -> None:
    course = await make_course(services, admin)
    other = await make_course(services, admin)
    first = await add(services, course, RECORDING, admin)
    second = await add(services, course, LIVE, admin)
    third = await add(services, course, RECORDING, admin)
    assert [a.position for a in (first, second, third)] == [1, 2, 3]
    assert (await add(services, other, RECORDING, admin)).position == 1
    async with services.unit() as unit:
        await unit.catalog.delete_activity(second.id or 0, admin)
    assert (await add(services, course, RECORDING, admin)).position == 4
    async with services.unit() as unit:
        await unit.catalog.delete_activity(third.id or 0, admin)
    assert [a.position for a in (await view(services, course, None)).activities] == [1, 4]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**LIVE, "timezone": ""}, "timezone"),
        ({**LIVE, "timezone": "Mars/Base"}, "timezone"),
        ({**LIVE, "starts_at": ""}, "starts_at"),
        ({**LIVE, "ends_at": ""}, "ends_at"),
        ({**LIVE, "ends_at": "2026-12-10T08:59"}, "ends_at"),
        ({**LIVE, "ends_at": "2026-12-11T09:30"}, "ends_at"),
        ({**RECORDING, "duration_minutes": ""}, "duration_minutes"),
        ({**RECORDING, "kind": "podcast"}, "kind"),
        ({**RECORDING, "title": ""}, "title"),
    ],
)
async def test_activity_checks(
    services: Services, admin: User, data: dict[str, Any], field: str
) -> None:
    course = await make_course(services, admin)
    with pytest.raises(InvalidInput) as caught:
        await add(services, course, data, admin)
    assert errors_of(caught) == {field}
    assert (await view(services, course, None)).activities == []


async def test_update_activity_keeps_what_is_not_given(
    services: Services, admin: User, faculty: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    session = await add(services, course, LIVE, admin)
    clock.at += timedelta(minutes=5)
    await edit(services, session, {"title": "Renamed"}, faculty)
    (stored,) = (await view(services, course, None)).activities
    assert (stored.title, stored.starts_at, stored.timezone) == (
        "Renamed", datetime(2026, 12, 10, 14, 0, tzinfo=UTC), "America/New_York"
    )
    assert stored.updated_at == clock.now()
    # a naive time is read in the session's zone, here a newly given one
    await edit(services, session, {"timezone": "Europe/London", "starts_at": "2026-12-10T15:00",
                                   "ends_at": "2026-12-10T16:00"}, faculty)
    (stored,) = (await view(services, course, None)).activities
    assert stored.starts_at == datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput) as caught:
        await edit(services, session, {"ends_at": "2026-12-10T14:00"}, faculty)
    assert errors_of(caught) == {"ends_at"}


async def test_turning_a_session_into_a_recording(services: Services, admin: User) -> None:
    course = await make_course(services, admin)
    session = await add(services, course, {**LIVE, "capacity": 20}, admin)
    with pytest.raises(InvalidInput) as caught:
        await edit(services, session, {"kind": "on_demand"}, admin)
    assert errors_of(caught) == {"duration_minutes"}
    await edit(services, session, {"kind": "on_demand", "duration_minutes": 50}, admin)
    (stored,) = (await view(services, course, None)).activities
    assert (stored.kind, stored.starts_at, stored.ends_at, stored.capacity,
            stored.duration_minutes) == ("on_demand", None, None, None, 50)


async def test_who_may_change_activities(
    services: Services, admin: User, faculty: User
) -> None:
    other_faculty = await make_user(services, Role.FACULTY)
    learner = await make_user(services)
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    draft = await make_course(services, admin, published=False, faculty_ids=[faculty.id])
    in_course = await add(services, course, RECORDING, faculty)
    in_draft = await add(services, draft, RECORDING, faculty)

    for outsider in (other_faculty, learner):
        with pytest.raises(PermissionDenied):
            await add(services, course, RECORDING, outsider)
        with pytest.raises(PermissionDenied):
            await edit(services, in_course, {"title": "x"}, outsider)
        with pytest.raises(PermissionDenied):
            async with services.unit() as unit:
                await unit.catalog.delete_activity(in_course.id or 0, outsider)
        # in a draft they cannot see, the activity does not exist for them
        with pytest.raises(ActivityNotFound):
            await edit(services, in_draft, {"title": "x"}, outsider)
        with pytest.raises(CourseNotFound):
            await add(services, draft, RECORDING, outsider)

    async with services.unit() as unit:
        await unit.catalog.delete_activity(in_draft.id or 0, faculty)
    with pytest.raises(ActivityNotFound):
        async with services.unit() as unit:
            await unit.catalog.activity(in_draft.id or 0, admin)
    assert [a.id for a in (await view(services, course, None)).activities] == [in_course.id]


async def test_activity_lookup(services: Services, admin: User) -> None:
    course = await make_course(services, admin, title="Host")
    recording = await add(services, course, RECORDING, admin)
    async with services.unit() as unit:
        found, shown = await unit.catalog.activity(recording.id or 0, None)
        assert (found.title, shown.course.title) == ("Recording", "Host")
        with pytest.raises(ActivityNotFound):
            await unit.catalog.activity(987654, admin)
