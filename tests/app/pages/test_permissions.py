"""Who may open or submit each HTML page: one row per route of ``app.routes``, every role.

The routes are enumerated from the app itself, so a page route added without a row here
fails ``test_route_permissions`` for that route until its expected answers are written down.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from app.jobs import JobStore
from app.routes import routes
from app.wiring import Services
from courses.accreditation import AccreditationService
from courses.attempts import AttemptService
from courses.designations import DesignationService
from courses.disclosures import DisclosureService
from courses.models import AssessmentKind, Course
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, text_of
from tests.conftest import START, Client
from tests.factories.assessments import make_evaluation, make_post_test, questions_of
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.credit import claimed_participation
from tests.factories.meetings import make_meeting
from tests.factories.replay import make_recording

ROLES = ("anon", "learner", "other_faculty", "faculty", "admin")
SIGNED = ROLES[1:]


@dataclass(frozen=True)
class To:
    """A 303 redirect whose Location matches this pattern (formatted with the scene's ids)."""

    location: str


SIGN_IN = To("<sign-in>")  # 303 to /signin, with ?next= back to the page for GETs

Outcome = int | To
Prepare = Callable[[Services, Cast, dict[str, object]], Awaitable[dict[str, object]]]


@dataclass(frozen=True)
class Case:
    method: str
    route: str  # the path exactly as app.routes declares it
    expect: dict[str, Outcome]
    url: str = ""  # formatted with the scene's ids; defaults to ``route``
    form: dict[str, str] = field(default_factory=dict)  # values formatted with the ids
    prepare: Prepare | None = None  # makes fresh records for each role's try
    variant: str = ""


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(ROLES, outcome)


def members(outcome: Outcome) -> dict[str, Outcome]:
    """Any signed-in account; anonymous visitors are sent to sign in."""
    return {"anon": SIGN_IN, **dict.fromkeys(SIGNED, outcome)}


def teachers(outcome: Outcome) -> dict[str, Outcome]:
    """Faculty and admins, whatever they teach."""
    return {"anon": SIGN_IN, "learner": 403, "other_faculty": outcome, "faculty": outcome,
            "admin": outcome}


def course_staff(outcome: Outcome, outsider: int = 403) -> dict[str, Outcome]:
    """The course's own faculty and admins; other faculty get ``outsider``."""
    return {"anon": SIGN_IN, "learner": 403, "other_faculty": outsider, "faculty": outcome,
            "admin": outcome}


def admins(outcome: Outcome) -> dict[str, Outcome]:
    return {"anon": SIGN_IN, "learner": 403, "other_faculty": 403, "faculty": 403,
            "admin": outcome}


# a private recording exists only for its course's staff (and the people in the room)
REPLAY: dict[str, Outcome] = {"anon": SIGN_IN, "learner": 404, "other_faculty": 404,
                              "faculty": 200, "admin": 200}
# an unpublished course, and what is in it, does not exist for anyone but its staff
DRAFT_HIDDEN: dict[str, Outcome] = {"anon": 404, "learner": 404, "other_faculty": 404,
                                    "faculty": 200, "admin": 200}


async def fresh_activity(
    services: Services, cast: Cast, ids: dict[str, object]
) -> dict[str, object]:
    """An activity of its own for each try, so that one role's removal leaves the next one's."""
    course = ids["draft_record"] if ids.get("in_draft") else ids["course_record"]
    assert isinstance(course, Course)
    activity = await make_on_demand(services, cast.admin, course, title="Disposable module")
    return {"fresh": activity.id}


def fresh_job(state: str) -> Prepare:
    """A media job of its own for each try: queued (to cancel) or failed (to retry)."""

    async def prepare(services: Services, cast: Cast, ids: dict[str, object]) -> dict[str, object]:
        store = JobStore(services.db, services.clock)
        job = await store.create("compose", None, 3)
        if state == "failed":
            await store.fail(job.id or 0, "ffmpeg exited with status 1")
        return {"job": job.id}

    return prepare


def fresh_recording(published: bool) -> Prepare:
    """A READY recording of the scene's course, with its files; published or private."""

    async def prepare(services: Services, cast: Cast, ids: dict[str, object]) -> dict[str, object]:
        course = ids["course_record"]
        assert isinstance(course, Course)
        recording = await make_recording(services, course=course, with_files=True)
        if published:
            async with services.unit() as unit:
                await unit.recordings.publish(recording.id or 0, cast.admin)
        return {"rec": recording.id}

    return prepare


def in_draft(prepare: Prepare) -> Prepare:
    async def wrapped(services: Services, cast: Cast, ids: dict[str, object]) -> dict[str, object]:
        return await prepare(services, cast, {**ids, "in_draft": True})

    return wrapped


COURSE_FORM = {"title": "Renamed by staff"}
ACTIVITY_FORM = {"kind": "on_demand", "title": "Added module", "duration_minutes": "20"}
NEW_USER_FORM = {"email": "new{n}@hospital.example.org", "display_name": "New Person",
                 "password": "a long enough password", "role": "learner"}

async def designated(services: Services, cast: Cast, ids: dict[str, object]) -> dict[str, object]:
    """The scene's live session designated for AMA PRA credit, to remove."""
    async with services.unit() as unit:
        await DesignationService(unit.session, unit.clock).designate(
            int(str(ids["activity"])), {"credit_type": "AMA_PRA_1", "maximum": "1"}, cast.admin
        )
    return {}


async def fresh_break(services: Services, cast: Cast, ids: dict[str, object]) -> dict[str, object]:
    """A break of its own in the scene's live session (07:00 to 08:00 EST on 3 December)."""
    activity_id = int(str(ids["activity"]))
    async with services.unit() as unit:
        taken = await AccreditationService(unit.session, unit.clock).breaks(activity_id)
        minute = 10 + 2 * len(taken)
        row = await DesignationService(unit.session, unit.clock).add_break(
            activity_id,
            {"start": f"2026-12-03T07:{minute:02d}", "end": f"2026-12-03T07:{minute + 1:02d}"},
            cast.admin,
        )
    return {"break": row.id}


async def fresh_disclosure(
    services: Services, cast: Cast, ids: dict[str, object]
) -> dict[str, object]:
    async with services.unit() as unit:
        row = await DisclosureService(unit.session, unit.clock).add(
            int(str(ids["activity"])), {"name": "Dr Disposable", "role": "planner"}, cast.admin
        )
    return {"disclosure": row.id}


async def fresh_certificate(
    services: Services, cast: Cast, ids: dict[str, object]
) -> dict[str, object]:
    """A claim of the scene's learner (in an on-demand activity of its own) and its
    certificate."""
    course = ids["course_record"]
    assert isinstance(course, Course)
    claim, certificate = await claimed_participation(services, cast.admin, cast.learner, course)
    return {"claim": claim.id, "code": certificate.code, "claimed": claim.activity_id}


CASES: list[Case] = [
    Case("GET", "/", {"anon": To("/catalog"), **dict.fromkeys(SIGNED, To("/dashboard"))}),
    Case("GET", "/healthz", everyone(200)),
    Case("GET", "/readyz", everyone(200)),
    # accounts
    Case("GET", "/signin", {"anon": 200, **dict.fromkeys(SIGNED, To("/dashboard"))}),
    Case("POST", "/signin", everyone(401),
         form={"email": "nobody@example.org", "password": "not the password"}),
    Case("POST", "/signout", everyone(To("/signin"))),
    Case("GET", "/signup", everyone(200)),
    Case("POST", "/signup", everyone(422),
         form={"email": "not-an-address", "display_name": "X", "password": "long enough pw"}),
    Case("GET", "/password/forgot", everyone(200)),
    Case("POST", "/password/forgot", everyone(200), form={"email": "nobody@example.org"}),
    Case("GET", "/password/reset/{token}", everyone(400), url="/password/reset/not-a-token"),
    Case("POST", "/password/reset/{token}", everyone(400), url="/password/reset/not-a-token",
         form={"password": "a brand new password", "password_again": "a brand new password"}),
    Case("GET", "/profile", members(200)),
    Case("POST", "/profile", members(To("/profile")), form={"display_name": "Renamed Person"}),
    Case("POST", "/profile/password", members(422),
         form={"current_password": "not my password", "new_password": "another long password"}),
    # learning
    Case("GET", "/dashboard", members(200)),
    Case("GET", "/catalog", everyone(200)),
    Case("GET", "/courses/{course_id:int}", everyone(200), url="/courses/{course}"),
    Case("GET", "/courses/{course_id:int}", DRAFT_HIDDEN, url="/courses/{draft}",
         variant="draft"),
    Case("POST", "/courses/{course_id:int}/enroll", members(To("/courses/{course}")),
         url="/courses/{course}/enroll"),
    Case("POST", "/courses/{course_id:int}/enroll",
         {"anon": SIGN_IN, "learner": 404, "other_faculty": 404, "faculty": 404,
          "admin": To("/courses/{draft}")},
         url="/courses/{draft}/enroll", variant="draft"),
    Case("POST", "/courses/{course_id:int}/unenroll", members(To("/courses/{course}")),
         url="/courses/{course}/unenroll"),
    Case("GET", "/activities/{activity_id:int}", everyone(200), url="/activities/{activity}"),
    Case("GET", "/activities/{activity_id:int}", DRAFT_HIDDEN, url="/activities/{draft_activity}",
         variant="draft"),
    # live rooms: the scene's session starts in two days, so learners may not enter yet
    Case("GET", "/activities/{activity_id:int}/live",
         {"anon": SIGN_IN, "learner": 409, "other_faculty": 403, "faculty": 200, "admin": 200},
         url="/activities/{activity}/live"),
    Case("POST", "/activities/{activity_id:int}/live/token",
         {"anon": SIGN_IN, "learner": 409, "other_faculty": 403, "faculty": 200, "admin": 200},
         url="/activities/{activity}/live/token"),
    # administration
    Case("GET", "/admin/courses", teachers(200)),
    Case("GET", "/admin/courses/new", admins(200)),
    Case("POST", "/admin/courses/new", admins(To(r"/admin/courses/\d+/edit")),
         form={"title": "Brand new course {n}"}),
    Case("GET", "/admin/courses/{course_id:int}/edit", course_staff(200),
         url="/admin/courses/{course}/edit"),
    Case("GET", "/admin/courses/{course_id:int}/edit", course_staff(200, outsider=404),
         url="/admin/courses/{draft}/edit", variant="draft"),
    Case("POST", "/admin/courses/{course_id:int}/edit",
         course_staff(To("/admin/courses/{course}/edit")),
         url="/admin/courses/{course}/edit", form=COURSE_FORM),
    Case("POST", "/admin/courses/{course_id:int}/edit",
         course_staff(To("/admin/courses/{draft}/edit"), outsider=404),
         url="/admin/courses/{draft}/edit", form=COURSE_FORM, variant="draft"),
    Case("GET", "/admin/courses/{course_id:int}/activities/new", course_staff(200),
         url="/admin/courses/{course}/activities/new"),
    Case("GET", "/admin/courses/{course_id:int}/activities/new",
         course_staff(200, outsider=404), url="/admin/courses/{draft}/activities/new",
         variant="draft"),
    Case("POST", "/admin/courses/{course_id:int}/activities/new",
         course_staff(To("/admin/courses/{course}/edit")),
         url="/admin/courses/{course}/activities/new", form=ACTIVITY_FORM),
    Case("POST", "/admin/courses/{course_id:int}/activities/new",
         course_staff(To("/admin/courses/{draft}/edit"), outsider=404),
         url="/admin/courses/{draft}/activities/new", form=ACTIVITY_FORM, variant="draft"),
    Case("GET", "/admin/activities/{activity_id:int}/edit", course_staff(200),
         url="/admin/activities/{activity}/edit"),
    Case("GET", "/admin/activities/{activity_id:int}/edit", course_staff(200, outsider=404),
         url="/admin/activities/{draft_activity}/edit", variant="draft"),
    Case("POST", "/admin/activities/{activity_id:int}/edit",
         course_staff(To("/admin/courses/{course}/edit")),
         url="/admin/activities/{activity}/edit", form={"title": "Renamed activity"}),
    Case("POST", "/admin/activities/{activity_id:int}/edit",
         course_staff(To("/admin/courses/{draft}/edit"), outsider=404),
         url="/admin/activities/{draft_activity}/edit", form={"title": "Renamed activity"},
         variant="draft"),
    Case("POST", "/admin/activities/{activity_id:int}/delete",
         course_staff(To("/admin/courses/{course}/edit")),
         url="/admin/activities/{fresh}/delete", prepare=fresh_activity),
    Case("POST", "/admin/activities/{activity_id:int}/delete",
         course_staff(To("/admin/courses/{draft}/edit"), outsider=404),
         url="/admin/activities/{fresh}/delete", prepare=in_draft(fresh_activity),
         variant="draft"),
    # attendance of the scene's live session: its staff read it, only admins adjust it
    Case("GET", "/admin/activities/{activity_id:int}/attendance", course_staff(200),
         url="/admin/activities/{activity}/attendance"),
    Case("GET", "/admin/activities/{activity_id:int}/attendance.csv", course_staff(200),
         url="/admin/activities/{activity}/attendance.csv"),
    Case("POST", "/admin/activities/{activity_id:int}/attendance",
         admins(To("/admin/activities/{activity}/attendance")),
         url="/admin/activities/{activity}/attendance",
         form={"user_id": "{learner}", "kind": "add", "start": "2026-12-03T07:00",
               "end": "2026-12-03T07:30", "reason": "Joined by phone"}),
    Case("GET", "/admin/courses/{course_id:int}/enrollments", course_staff(200),
         url="/admin/courses/{course}/enrollments"),
    Case("GET", "/admin/courses/{course_id:int}/enrollments", course_staff(200, outsider=404),
         url="/admin/courses/{draft}/enrollments", variant="draft"),
    Case("POST", "/admin/courses/{course_id:int}/enrollments",
         admins(To("/admin/courses/{course}/enrollments")),
         url="/admin/courses/{course}/enrollments", form={"email": "{learner_email}"}),
    Case("POST", "/admin/courses/{course_id:int}/enrollments/{user_id:int}/withdraw",
         admins(To("/admin/courses/{course}/enrollments")),
         url="/admin/courses/{course}/enrollments/{learner}/withdraw"),
    Case("GET", "/admin/users", admins(200)),
    Case("POST", "/admin/users", admins(To("/admin/users")), form=NEW_USER_FORM),
    Case("POST", "/admin/users/{user_id:int}", admins(To("/admin/users")),
         url="/admin/users/{learner}", form={"role": "learner"}),
    Case("GET", "/admin/jobs", admins(200)),
    Case("POST", "/admin/jobs/{job_id:int}/cancel", admins(To("/admin/jobs")),
         url="/admin/jobs/{job}/cancel", prepare=fresh_job("queued")),
    Case("POST", "/admin/jobs/{job_id:int}/retry", admins(To("/admin/jobs")),
         url="/admin/jobs/{job}/retry", prepare=fresh_job("failed")),
    # recordings: the scene's learner is enrolled in the course; others may not know of them
    Case("GET", "/recordings", members(200)),
    Case("GET", "/recordings/{recording_id:int}", {**REPLAY, "learner": 200},
         url="/recordings/{rec}", prepare=fresh_recording(published=True)),
    Case("GET", "/recordings/{recording_id:int}", REPLAY, url="/recordings/{rec}",
         prepare=fresh_recording(published=False), variant="private"),
    Case("GET", "/recordings/{recording_id:int}/media/{path:path}", {**REPLAY, "learner": 200},
         url="/recordings/{rec}/media/hls/master.m3u8", prepare=fresh_recording(published=True)),
    Case("GET", "/recordings/{recording_id:int}/media/{path:path}", REPLAY,
         url="/recordings/{rec}/media/recording.mp4", prepare=fresh_recording(published=False),
         variant="private"),
    Case("GET", "/recordings/{recording_id:int}/edit", {**REPLAY, "learner": 403},
         url="/recordings/{rec}/edit", prepare=fresh_recording(published=True)),
    Case("POST", "/recordings/{recording_id:int}/edit",
         {**REPLAY, "learner": 403, "faculty": To("/recordings/{rec}/edit"),
          "admin": To("/recordings/{rec}/edit")},
         url="/recordings/{rec}/edit", form={"title": "Renamed recording", "action": "save"},
         prepare=fresh_recording(published=True)),
    Case("POST", "/recordings/{recording_id:int}/compose",
         {**REPLAY, "learner": 403, "faculty": To("/recordings/{rec}/edit"),
          "admin": To("/recordings/{rec}/edit")},
         url="/recordings/{rec}/compose", form={"layout": "grid"},
         prepare=fresh_recording(published=True)),
    Case("GET", "/admin/recordings", admins(200)),
    Case("GET", "/admin/settings", admins(200)),
    Case("POST", "/admin/settings", admins(To("/admin/settings")),
         form={"name": "Rounds Test Hospital", "signup_enabled": "on"}),
    # transcripts: each learner their own at /transcript; administrators anyone's
    Case("GET", "/transcript", members(200)),
    Case("GET", "/transcript.csv", members(200)),
    Case("GET", "/transcript.pdf", members(200)),
    Case("GET", "/admin/users/{user_id:int}/transcript", admins(200),
         url="/admin/users/{learner}/transcript"),
    Case("GET", "/admin/users/{user_id:int}/transcript.csv", admins(200),
         url="/admin/users/{learner}/transcript.csv"),
    Case("GET", "/admin/users/{user_id:int}/transcript.pdf", admins(200),
         url="/admin/users/{learner}/transcript.pdf"),
    # reports: an activity's for its course's staff; the exports for administrators
    Case("GET", "/admin/activities/{activity_id:int}/report", course_staff(200),
         url="/admin/activities/{activity}/report"),
    Case("GET", "/admin/activities/{activity_id:int}/report", course_staff(200, outsider=404),
         url="/admin/activities/{draft_activity}/report", variant="draft"),
    Case("GET", "/admin/activities/{activity_id:int}/chat.csv", course_staff(200),
         url="/admin/activities/{activity}/chat.csv"),
    Case("GET", "/admin/reports", admins(200)),
    Case("GET", "/admin/reports", admins(422), url="/admin/reports?from=2026-12-31&to=2026-01-01",
         variant="reversed range"),
    Case("GET", "/admin/reports/cpe-monitor", admins(200)),
    Case("GET", "/admin/reports/pars-activities.csv", admins(200)),
    Case("GET", "/admin/reports/pars-learners.csv", admins(200)),
    Case("GET", "/admin/reports/pars.xml", admins(200)),
    Case("GET", "/admin/reports/cpe-monitor.csv", admins(200)),
    # credit: the scene's session has not ended, so claiming is refused (422) for everyone
    Case("GET", "/activities/{activity_id:int}/credit", members(200),
         url="/activities/{activity}/credit"),
    Case("GET", "/activities/{activity_id:int}/credit", {**DRAFT_HIDDEN, "anon": SIGN_IN},
         url="/activities/{draft_activity}/credit", variant="draft"),
    Case("POST", "/activities/{activity_id:int}/credit/claim", members(422),
         url="/activities/{activity}/credit/claim", form={"AMA_PRA_1": "1.00"}),
    # certificates: the learner's own, the course's faculty and admins; others are told none
    Case("GET", "/certificates/{code}.pdf",
         {"anon": SIGN_IN, "learner": 200, "other_faculty": 404, "faculty": 200, "admin": 200},
         url="/certificates/{code}.pdf", prepare=fresh_certificate),
    # nothing printed changed: the learner is sent back to the hub, the admin (no reason
    # given) to the verification page, each with a message; faculty may not reissue
    Case("POST", "/certificates/{code}/reissue",
         {"anon": SIGN_IN, "learner": To("/activities/{claimed}/credit"), "other_faculty": 404,
          "faculty": 404, "admin": To("/verify/{code}")},
         url="/certificates/{code}/reissue", prepare=fresh_certificate),
    Case("GET", "/verify", everyone(200)),
    Case("GET", "/verify/{code}", everyone(200), url="/verify/{code}",
         prepare=fresh_certificate),
    Case("GET", "/verify/{code}", everyone(404), url="/verify/RND-2222-2222",
         variant="unknown"),
    Case("GET", "/admin/claims/{claim_id:int}/correct", admins(200),
         url="/admin/claims/{claim}/correct", prepare=fresh_certificate),
    Case("POST", "/admin/claims/{claim_id:int}/correct", admins(To(r"/admin/claims/\d+/correct")),
         url="/admin/claims/{claim}/correct", form={"credits": "0.25", "reason": "Left early"},
         prepare=fresh_certificate),
    # accreditation: admins set the provider and the credit; the course's staff read it and
    # keep the disclosures
    Case("GET", "/admin/accreditation", admins(200)),
    Case("POST", "/admin/accreditation", admins(To("/admin/accreditation")),
         form={"name": "Rounds Test Hospital", "acpe_provider_number": "0123"}),
    Case("GET", "/admin/activities/{activity_id:int}/accreditation", course_staff(200),
         url="/admin/activities/{activity}/accreditation"),
    Case("GET", "/admin/activities/{activity_id:int}/accreditation",
         course_staff(200, outsider=404),
         url="/admin/activities/{draft_activity}/accreditation", variant="draft"),
    Case("POST", "/admin/activities/{activity_id:int}/accreditation/designations",
         admins(To("/admin/activities/{activity}/accreditation")),
         url="/admin/activities/{activity}/accreditation/designations",
         form={"credit_type": "AMA_PRA_1", "maximum": "1"}),
    Case("POST",
         "/admin/activities/{activity_id:int}/accreditation/designations/{credit_type}/remove",
         admins(To("/admin/activities/{activity}/accreditation")),
         url="/admin/activities/{activity}/accreditation/designations/AMA_PRA_1/remove",
         prepare=designated),
    Case("POST", "/admin/activities/{activity_id:int}/accreditation/breaks",
         admins(To("/admin/activities/{activity}/accreditation")),
         url="/admin/activities/{activity}/accreditation/breaks",
         form={"break_title": "Coffee", "break_start": "2026-12-03T07:50",
               "break_end": "2026-12-03T07:55"}),
    Case("POST", "/admin/activities/{activity_id:int}/accreditation/breaks/{break_id:int}/remove",
         admins(To("/admin/activities/{activity}/accreditation")),
         url="/admin/activities/{activity}/accreditation/breaks/{break}/remove",
         prepare=fresh_break),
    # blank: back to the faculty's connections (the scene's session has not happened yet)
    Case("POST", "/admin/activities/{activity_id:int}/accreditation/live-window",
         admins(To("/admin/activities/{activity}/accreditation")),
         url="/admin/activities/{activity}/accreditation/live-window",
         form={"window_start": "", "window_end": ""}),
    Case("POST", "/admin/activities/{activity_id:int}/accreditation/details",
         admins(To("/admin/activities/{activity}/accreditation")),
         url="/admin/activities/{activity}/accreditation/details",
         form={"location": "Online", "competencies": "Patient care"}),
    Case("POST", "/admin/activities/{activity_id:int}/accreditation/disclosures",
         course_staff(To("/admin/activities/{activity}/accreditation")),
         url="/admin/activities/{activity}/accreditation/disclosures",
         form={"name": "Dr Planner", "role": "planner"}),
    Case("POST",
         "/admin/activities/{activity_id:int}/accreditation/disclosures/{disclosure_id:int}/remove",
         course_staff(To("/admin/activities/{activity}/accreditation")),
         url="/admin/activities/{activity}/accreditation/disclosures/{disclosure}/remove",
         prepare=fresh_disclosure),
]

# -- assessments (courses.assessments, courses.attempts, courses.assessment_authoring) --------
def with_assessments(attempt: bool = False) -> Prepare:
    """A fresh on-demand module of the scene's course with an evaluation (one optional
    question, so an empty form submits) and the factories' post-test; with ``attempt``, the
    learner's open attempt at it."""

    async def prepare(services: Services, cast: Cast, ids: dict[str, object]) -> dict[str, object]:
        course = ids["course_record"]
        assert isinstance(course, Course)
        module = await make_on_demand(services, cast.admin, course, title="Assessed module")
        await make_evaluation(services, cast.admin, module,
                              questions=[("text", "Anything else?", False)])
        await make_post_test(services, cast.admin, module)
        found: dict[str, object] = {
            "module": module.id,
            "eq": (await questions_of(services, module, AssessmentKind.EVALUATION))[0].id,
            "pq": (await questions_of(services, module, AssessmentKind.POST_TEST))[0].id,
        }
        if attempt:
            async with services.unit() as unit:
                started = await AttemptService(unit.session, unit.clock).start_post_test(
                    module.id or 0, cast.learner)
            found["attempt"] = started.id
        return found

    return prepare


# learners take part; the course's faculty and administrators only preview (403 to submit)
TAKERS: dict[str, Outcome] = {"anon": SIGN_IN, "learner": 200, "other_faculty": 200,
                              "faculty": 200, "admin": 200}


def submitters(learner: Outcome) -> dict[str, Outcome]:
    """Only a learner who takes part submits; other faculty are not enrolled (403)."""
    return {"anon": SIGN_IN, "learner": learner, "other_faculty": 403, "faculty": 403,
            "admin": 403}


ASSESSED = "/admin/activities/{module}/assessments"
ASSESSMENT_CASES: list[Case] = [
    Case("GET", "/activities/{activity_id:int}/evaluation", TAKERS,
         url="/activities/{module}/evaluation", prepare=with_assessments()),
    Case("GET", "/activities/{activity_id:int}/evaluation",
         {"anon": SIGN_IN, "learner": 404, "other_faculty": 404, "faculty": 200, "admin": 200},
         url="/activities/{draft_activity}/evaluation", variant="draft"),
    Case("POST", "/activities/{activity_id:int}/evaluation",
         submitters(To("/activities/{module}/evaluation")),
         url="/activities/{module}/evaluation", prepare=with_assessments()),
    Case("GET", "/activities/{activity_id:int}/post-test", TAKERS,
         url="/activities/{module}/post-test", prepare=with_assessments()),
    Case("POST", "/activities/{activity_id:int}/post-test/start",
         submitters(To("/activities/{module}/post-test")),
         url="/activities/{module}/post-test/start", prepare=with_assessments()),
    # the attempt is the learner's; answers cannot be named ahead (422: every question unanswered)
    Case("POST", "/activities/{activity_id:int}/post-test/submit", submitters(422),
         url="/activities/{module}/post-test/submit", form={"attempt": "{attempt}"},
         prepare=with_assessments(attempt=True)),
    Case("GET", "/admin/activities/{activity_id:int}/assessments", course_staff(200),
         url="/admin/activities/{activity}/assessments"),
    Case("GET", "/admin/activities/{activity_id:int}/assessments",
         course_staff(200, outsider=404), url="/admin/activities/{draft_activity}/assessments",
         variant="draft"),
    Case("POST", "/admin/activities/{activity_id:int}/assessments/evaluation/standard",
         course_staff(To("/admin/activities/{fresh}/assessments")),
         url="/admin/activities/{fresh}/assessments/evaluation/standard",
         prepare=fresh_activity),
    Case("POST", "/admin/activities/{activity_id:int}/assessments/{kind}",
         course_staff(To(ASSESSED)), url=ASSESSED + "/post-test",
         form={"title": "Module quiz", "pass_percent": "80", "max_attempts": "3"},
         prepare=with_assessments()),
    Case("POST", "/admin/activities/{activity_id:int}/assessments/{kind}/delete",
         course_staff(To(ASSESSED)), url=ASSESSED + "/evaluation/delete",
         prepare=with_assessments()),
    Case("POST", "/admin/activities/{activity_id:int}/assessments/{kind}/questions",
         course_staff(To(ASSESSED)), url=ASSESSED + "/evaluation/questions",
         form={"kind": "likert", "prompt": "The speaker was clear.", "required": "on"},
         prepare=with_assessments()),
    Case("POST", "/admin/activities/{activity_id:int}/assessments/{kind}/questions/"
         "{question_id:int}", course_staff(To(ASSESSED)),
         url=ASSESSED + "/post-test/questions/{pq}",
         form={"prompt": "Renamed?", "option_1": "Yes", "option_2": "No", "correct": "1"},
         prepare=with_assessments()),
    Case("POST", "/admin/activities/{activity_id:int}/assessments/{kind}/questions/"
         "{question_id:int}/delete", course_staff(To(ASSESSED)),
         url=ASSESSED + "/evaluation/questions/{eq}/delete", prepare=with_assessments()),
    Case("GET", "/admin/activities/{activity_id:int}/evaluation-summary", course_staff(200),
         url="/admin/activities/{module}/evaluation-summary", prepare=with_assessments()),
    Case("GET", "/admin/activities/{activity_id:int}/evaluations.csv", course_staff(200),
         url="/admin/activities/{module}/evaluations.csv", prepare=with_assessments()),
]
CASES += ASSESSMENT_CASES


# -- meetings (courses.meetings): a meeting of the scene's faculty with the learner invited;
# to anyone else it does not exist
MEETING_FORM = {"title": "Matrix meeting", "timezone": "America/New_York",
                "starts_at": "2026-12-07T09:00", "ends_at": "2026-12-07T10:00"}


async def fresh_meeting(
    services: Services, cast: Cast, ids: dict[str, object]
) -> dict[str, object]:
    change = await make_meeting(services, cast.faculty, invitees=[cast.learner],
                                guests="guest@partner.example.com")
    return {"meeting": change.meeting.id}


MEETING_SEEN: dict[str, Outcome] = {"anon": SIGN_IN, "learner": 200, "other_faculty": 404,
                                    "faculty": 200, "admin": 200}


def meeting_managers(outcome: Outcome) -> dict[str, Outcome]:
    """The organizer and admins; the invited learner is refused by role, others told none."""
    return {"anon": SIGN_IN, "learner": 403, "other_faculty": 404, "faculty": outcome,
            "admin": outcome}


MEETING_CASES: list[Case] = [
    Case("GET", "/meetings", members(200)),
    Case("GET", "/meetings/new", teachers(200)),
    Case("POST", "/meetings/new", teachers(To(r"/meetings/\d+")), form=MEETING_FORM),
    Case("GET", "/meetings/{meeting_id:int}", MEETING_SEEN, url="/meetings/{meeting}",
         prepare=fresh_meeting),
    Case("GET", "/meetings/{meeting_id:int}.ics", MEETING_SEEN, url="/meetings/{meeting}.ics",
         prepare=fresh_meeting),
    Case("GET", "/meetings/{meeting_id:int}/edit", meeting_managers(200),
         url="/meetings/{meeting}/edit", prepare=fresh_meeting),
    Case("POST", "/meetings/{meeting_id:int}/edit", meeting_managers(To("/meetings/{meeting}")),
         url="/meetings/{meeting}/edit", form=MEETING_FORM, prepare=fresh_meeting),
    Case("POST", "/meetings/{meeting_id:int}/cancel",
         meeting_managers(To("/meetings/{meeting}")), url="/meetings/{meeting}/cancel",
         prepare=fresh_meeting),
]
CASES += MEETING_CASES


async def meeting_now(
    services: Services, cast: Cast, ids: dict[str, object]
) -> dict[str, object]:
    """A meeting starting in five minutes, so its room is open; with a guest's link."""
    change = await make_meeting(services, cast.faculty, invitees=[cast.learner],
                                guests="guest@partner.example.com",
                                starts_at="2026-12-01T07:05", ends_at="2026-12-01T08:00")
    token = next(n.guest_token for n in change.invitations if n.guest)
    return {"meeting": change.meeting.id, "guest_token": token}


GUEST_LINK = "/meetings/{meeting}/join/{guest_token}"
MEETING_ROOM_CASES: list[Case] = [
    Case("GET", "/meetings/{meeting_id:int}/room", MEETING_SEEN, url="/meetings/{meeting}/room",
         prepare=meeting_now),
    Case("POST", "/meetings/{meeting_id:int}/room/token", MEETING_SEEN,
         url="/meetings/{meeting}/room/token", prepare=meeting_now),
    # the link in a guest's invitation is all it takes, whoever holds it
    Case("GET", "/meetings/{meeting_id:int}/join/{token}", everyone(200), url=GUEST_LINK,
         prepare=meeting_now),
    Case("POST", "/meetings/{meeting_id:int}/join/{token}", everyone(200), url=GUEST_LINK,
         form={"display_name": "Visiting Guest"}, prepare=meeting_now),
    Case("POST", "/meetings/{meeting_id:int}/join/{token}/token", everyone(200),
         url=GUEST_LINK + "/token", prepare=meeting_now),
]
CASES += MEETING_ROOM_CASES

# -- reports of meetings and live sessions (courses.session_reports, courses.engagement)
REPORT_CASES: list[Case] = [
    Case("GET", "/meetings/{meeting_id:int}/report", meeting_managers(200),
         url="/meetings/{meeting}/report", prepare=fresh_meeting),
    Case("GET", "/meetings/{meeting_id:int}/attendance.csv", meeting_managers(200),
         url="/meetings/{meeting}/attendance.csv", prepare=fresh_meeting),
    Case("GET", "/meetings/{meeting_id:int}/chat.csv", meeting_managers(200),
         url="/meetings/{meeting}/chat.csv", prepare=fresh_meeting),
    Case("GET", "/admin/activities/{activity_id:int}/session-report", course_staff(200),
         url="/admin/activities/{activity}/session-report"),
    Case("GET", "/reports/engagement", admins(200)),
    Case("GET", "/admin/outbox", admins(200)),  # app.mail_records
]
for name in ("polls", "poll-results", "questions"):  # courses.polls, .audience_questions
    REPORT_CASES += [
        Case("GET", f"/admin/activities/{{activity_id:int}}/{name}.csv", course_staff(200),
             url=f"/admin/activities/{{activity}}/{name}.csv"),
        Case("GET", f"/meetings/{{meeting_id:int}}/{name}.csv", meeting_managers(200),
             url=f"/meetings/{{meeting}}/{name}.csv", prepare=fresh_meeting),
    ]
CASES += REPORT_CASES


# -- webhooks (app.webhooks): administrators only ------------------------------------------
async def fresh_webhook(
    services: Services, cast: Cast, ids: dict[str, object]
) -> dict[str, object]:
    """A webhook endpoint of its own for each try (one role's delete leaves the next one's),
    with one failed delivery to retry."""
    from app.webhooks.store import WebhookStore

    store = WebhookStore(services.db, services.clock)
    endpoint = await store.create_endpoint(url="http://127.0.0.1:9/hook", description="",
                                           event_types="credit.claimed", created_by=None)
    [delivery] = await store.add_deliveries([endpoint], event_id="msg_matrix",
                                            event_type="credit.claimed", payload="{}")
    [claimed] = await store.claim_due(1, timedelta(minutes=1))
    await store.fail_attempt(claimed.id or 0, claimed.attempts, status=500, error="HTTP 500",
                             retry_at=None)
    return {"hook": endpoint.id, "delivery": delivery.id}


WEBHOOK_CASES: list[Case] = [
    Case("GET", "/admin/webhooks", admins(200)),
    Case("POST", "/admin/webhooks", admins(To(r"/admin/webhooks/\d+")),
         form={"url": "https://hooks.example.org/rounds", "events": "credit.claimed"}),
    Case("GET", "/admin/webhooks/{endpoint_id:int}", admins(200), url="/admin/webhooks/{hook}",
         prepare=fresh_webhook),
    Case("POST", "/admin/webhooks/{endpoint_id:int}/events", admins(To("/admin/webhooks/{hook}")),
         url="/admin/webhooks/{hook}/events",
         form={"description": "LRS", "events": "recording.ready"}, prepare=fresh_webhook),
    Case("POST", "/admin/webhooks/{endpoint_id:int}/active", admins(To("/admin/webhooks/{hook}")),
         url="/admin/webhooks/{hook}/active", form={"active": "0"}, prepare=fresh_webhook),
    Case("POST", "/admin/webhooks/{endpoint_id:int}/delete", admins(To("/admin/webhooks")),
         url="/admin/webhooks/{hook}/delete", prepare=fresh_webhook),
    Case("POST", "/admin/webhooks/{endpoint_id:int}/test", admins(To("/admin/webhooks/{hook}")),
         url="/admin/webhooks/{hook}/test", prepare=fresh_webhook),
    Case("POST", "/admin/webhooks/deliveries/{delivery_id:int}/retry",
         admins(To("/admin/webhooks/{hook}")), url="/admin/webhooks/deliveries/{delivery}/retry",
         prepare=fresh_webhook),
]
CASES += WEBHOOK_CASES



def page_routes() -> list[tuple[str, str]]:
    """(method, path) of every route outside /api and /static, as the app declares them."""
    found: set[tuple[str, str]] = set()
    for route in routes():
        if isinstance(route, Mount):
            assert route.path in ("/api", "/static"), (
                f"new mount {route.path}: decide here whether its pages need permission rows"
            )
            continue
        if isinstance(route, WebSocketRoute):
            continue  # the signaling socket authorises by join token: tests/app/signaling
        assert isinstance(route, Route), route
        for method in (route.methods or set()) - {"HEAD"}:
            found.add((method, route.path))
    return sorted(found, key=lambda key: (key[1], key[0]))


def test_every_matrix_row_is_a_route_of_the_app() -> None:
    known = set(page_routes())
    stale = {(c.method, c.route) for c in CASES} - known
    assert not stale, f"rows for routes the app no longer has: {stale}"
    # sanity: the enumeration sees the routes this file was written against
    assert ("POST", "/admin/courses/{course_id:int}/enrollments/{user_id:int}/withdraw") in known
    assert not any(path.startswith(("/api", "/static")) for _, path in known)


_serial = itertools.count(1)


async def _scene(services: Services, cast: Cast) -> dict[str, object]:
    course = await make_course(services, cast.admin, title="Published Course",
                               faculty_ids=[cast.faculty.id])
    live = await make_live(services, cast.admin, course, starts_at=START + timedelta(days=2))
    await make_on_demand(services, cast.admin, course)
    draft = await make_course(services, cast.admin, title="Draft Course", published=False,
                              faculty_ids=[cast.faculty.id])
    draft_activity = await make_on_demand(services, cast.admin, draft, title="Draft module")
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, cast.learner.id or 0, actor=cast.learner)
    return {
        "course": course.id, "course_record": course, "activity": live.id,
        "draft": draft.id, "draft_record": draft, "draft_activity": draft_activity.id,
        "learner": cast.learner.id, "learner_email": cast.learner.email,
    }


def _check_denied(role: str, page: str) -> None:
    text = text_of(page)
    assert "Not allowed" in text, text
    if role == "learner":
        assert re.search(r"This needs the (faculty or admin|admin) role; your account is "
                         r"learner\.", text), text
    elif "This needs the admin role; your account is faculty." not in text:
        assert ("Only this course's faculty and administrators may do that." in text
                or "Only learners enrolled in this course, its faculty and administrators may "
                "join this session." in text
                or re.search(r"Only learners enrolled in this course (submit|take) its "
                             r"(evaluation|post-test)", text)
                or re.search(r"Faculty and administrators preview the (evaluation|post-test); "
                             r"only learners (submit|take) it\.", text)), text


async def _try(http: Client, case: Case, ids: dict[str, object], role: str) -> None:
    url = (case.url or case.route).format(**ids)
    if case.method == "GET":
        response = await http.get(url)
    else:
        response = await http.form(url, {k: v.format(**ids) for k, v in case.form.items()})
    expected = case.expect[role]
    where = f"{case.method} {url} as {role}" + (f" ({case.variant})" if case.variant else "")
    if isinstance(expected, int):
        assert response.status_code == expected, f"{where}: {response.status_code}"
        if expected == 403:
            _check_denied(role, response.text)
        if expected == 404:
            assert "Not found" in text_of(response.text), where
        return
    assert response.status_code == 303, f"{where}: {response.status_code} {response.text[:300]}"
    location = response.headers["location"]
    if expected is SIGN_IN:
        if case.method == "GET":
            assert location == f"/signin?next={quote(url)}", where
        else:
            # A form target cannot be opened with GET after signing in: never send them there.
            parts = urlsplit(location)
            assert parts.path == "/signin", where
            assert parse_qs(parts.query).get("next", [""])[0] != url, where
        return
    assert re.fullmatch(expected.location.format(**ids), location), f"{where}: {location}"


@pytest.mark.parametrize("method, route", page_routes(), ids=lambda v: str(v))
async def test_route_permissions(
    method: str, route: str, services: Services, cast: Cast, signed_in: SignedIn,
    make_client: Callable[..., Client],
) -> None:
    cases = [c for c in CASES if (c.method, c.route) == (method, route)]
    assert cases, (
        f"{method} {route} has no row in CASES: write down who may use it "
        "(anonymous, learner, other faculty, the course's faculty, admin)"
    )
    ids = await _scene(services, cast)
    people = {"learner": cast.learner, "other_faculty": cast.other_faculty,
              "faculty": cast.faculty, "admin": cast.admin}
    for case in cases:
        for role in ROLES:
            http = make_client(f"10.200.{ROLES.index(role)}.{next(_serial) % 250}") \
                if role == "anon" else await signed_in(people[role])
            await http.get("/catalog")  # a visitor who has seen a page has a session
            extra: dict[str, object] = {"n": next(_serial)}
            if case.prepare:
                extra.update(await case.prepare(services, cast, ids))
            await _try(http, case, {**ids, **extra}, role)
