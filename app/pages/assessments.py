"""Evaluations and post-tests: faculty write them, learners take them, the CME office reads
the evaluation summary (courses.assessments, courses.attempts; the staff pages are in
app/pages/admin/assessments.py)."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_user, services_of
from app.flash import flash
from app.pages._forms import path_int, read_form, redirect, render
from app.pages.admin import assessments as staff
from app.wiring import Unit
from courses.assessment_inputs import options_of
from courses.attempts import AttemptService
from courses.errors import InvalidInput
from courses.evaluations import LIKERT, MAX_TEXT_ANSWER
from courses.models import User
from courses.scoring import answer_field

log = structlog.get_logger(__name__)


def _service(unit: Unit) -> AttemptService:
    return AttemptService(unit.session, unit.clock)


# -- the evaluation ------------------------------------------------------------------------
async def _evaluation(
    request: Request,
    user: User,
    activity_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with services_of(request).unit() as unit:
        page = await _service(unit).evaluation_page(activity_id, user)
    return render(
        request,
        "assessments/evaluation.html",
        {
            "page": page,
            "activity": page.activity,
            "values": values or {},
            "errors": errors or {},
            "likert": LIKERT,
            "field": answer_field,
            "max_text": MAX_TEXT_ANSWER,
        },
        status=status,
    )


async def evaluation_page(request: Request) -> Response:
    user = require_user(request)
    return await _evaluation(request, user, path_int(request, "activity_id"))


async def submit_evaluation(request: Request) -> Response:
    user = require_user(request)
    activity_id = path_int(request, "activity_id")
    data = await read_form(request)
    try:
        async with services_of(request).unit() as unit:
            await _service(unit).submit_evaluation(activity_id, user, data)
    except InvalidInput as exc:
        return await _evaluation(
            request, user, activity_id, values=data, errors=exc.errors, status=422
        )
    flash(request, "Thank you: your evaluation is recorded.", "success")
    return redirect(f"/activities/{activity_id}/evaluation")


# -- the post-test -------------------------------------------------------------------------
async def _post_test(
    request: Request,
    user: User,
    activity_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with services_of(request).unit() as unit:
        page = await _service(unit).post_test_page(activity_id, user)
    return render(
        request,
        "assessments/post_test.html",
        {
            "page": page,
            "activity": page.activity,
            "values": values or {},
            "errors": errors or {},
            "field": answer_field,
            "options_of": options_of,
        },
        status=status,
    )


async def post_test_page(request: Request) -> Response:
    user = require_user(request)
    return await _post_test(request, user, path_int(request, "activity_id"))


async def start_post_test(request: Request) -> Response:
    user = require_user(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        attempt = await _service(unit).start_post_test(activity_id, user)
    log.info("post_test.opened", activity_id=activity_id, user_id=user.id, number=attempt.number)
    return redirect(f"/activities/{activity_id}/post-test")


async def submit_post_test(request: Request) -> Response:
    user = require_user(request)
    activity_id = path_int(request, "activity_id")
    data = await read_form(request)
    raw_attempt = str(data.pop("attempt", "")).strip()
    if not raw_attempt.isdigit() or len(raw_attempt) > 9:
        message = "Start the post-test from its page, then submit your answers there."
        raise InvalidInput({"attempt": message}, message)
    try:
        async with services_of(request).unit() as unit:
            attempt = await _service(unit).submit_post_test(
                activity_id, user, int(raw_attempt), data
            )
    except InvalidInput as exc:
        return await _post_test(
            request, user, activity_id, values=data, errors=exc.errors, status=422
        )
    verdict = "You passed" if attempt.passed else "You did not pass this time"
    flash(
        request,
        f"{verdict}: {attempt.score_percent:.1f}% on attempt {attempt.number}.",
        "success" if attempt.passed else "warning",
    )
    return redirect(f"/activities/{activity_id}/post-test")


ROUTES: list[BaseRoute] = [
    # learners (faculty and administrators see a preview)
    Route("/activities/{activity_id:int}/evaluation", evaluation_page, name="evaluation"),
    Route("/activities/{activity_id:int}/evaluation", submit_evaluation, methods=["POST"]),
    Route("/activities/{activity_id:int}/post-test", post_test_page, name="post_test"),
    Route("/activities/{activity_id:int}/post-test/start", start_post_test, methods=["POST"]),
    Route("/activities/{activity_id:int}/post-test/submit", submit_post_test, methods=["POST"]),
    # the course's faculty and administrators
    Route(
        "/admin/activities/{activity_id:int}/assessments", staff.authoring_page, name="assessments"
    ),
    Route(
        "/admin/activities/{activity_id:int}/assessments/evaluation/standard",
        staff.add_standard_evaluation,
        methods=["POST"],
    ),
    Route(
        "/admin/activities/{activity_id:int}/assessments/{kind}",
        staff.save_assessment,
        methods=["POST"],
    ),
    Route(
        "/admin/activities/{activity_id:int}/assessments/{kind}/delete",
        staff.delete_assessment,
        methods=["POST"],
    ),
    Route(
        "/admin/activities/{activity_id:int}/assessments/{kind}/questions",
        staff.add_question,
        methods=["POST"],
    ),
    Route(
        "/admin/activities/{activity_id:int}/assessments/{kind}/questions/{question_id:int}",
        staff.update_question,
        methods=["POST"],
    ),
    Route(
        "/admin/activities/{activity_id:int}/assessments/{kind}/questions/{question_id:int}/delete",
        staff.delete_question,
        methods=["POST"],
    ),
    Route(
        "/admin/activities/{activity_id:int}/evaluation-summary",
        staff.summary_page,
        name="evaluation_summary",
    ),
    Route("/admin/activities/{activity_id:int}/evaluations.csv", staff.responses_csv),
]
