"""Evaluations and post-tests: faculty write them, learners take them, the CME office reads
the evaluation summary (courses.assessments, courses.attempts; the staff pages are in
app/pages/admin/assessments.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_user, services_of
from app.pages._forms import path_int, read_form, redirect, render
from app.pages._handlers import Done, run_change
from app.pages.admin import assessments as staff
from app.wiring import Unit
from courses.assessment_inputs import options_of
from courses.assessments import Taking
from courses.attempts import AttemptService
from courses.errors import InvalidInput
from courses.evaluations import LIKERT, MAX_TEXT_ANSWER
from courses.models import User
from courses.scoring import answer_field

log = structlog.get_logger(__name__)


def _service(unit: Unit) -> AttemptService:
    return AttemptService(unit.session, unit.clock)


async def _show(
    request: Request,
    template: str,
    load: Callable[[AttemptService], Awaitable[Taking]],
    context: dict[str, Any],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """An assessment's page as ``load`` finds it, with the answers ``values`` and ``errors``."""
    async with services_of(request).unit() as unit:
        page = await load(_service(unit))
    return render(
        request,
        template,
        {
            "page": page,
            "activity": page.activity,
            "values": values or {},
            "errors": errors or {},
            "field": answer_field,
            **context,
        },
        status=status,
    )


async def _submit(
    request: Request,
    back: str,
    change: Callable[[AttemptService], Awaitable[Done]],
    again: Callable[[InvalidInput], Awaitable[Response]],
) -> Response:
    """Run ``change`` and go ``back``; bad input shows the page ``again`` (422)."""

    async def run(unit: Unit) -> Done:
        return await change(_service(unit))

    return await run_change(request, run, back=back, invalid=again)


# -- the evaluation ------------------------------------------------------------------------
async def _evaluation(request: Request, user: User, activity_id: int, **shown: Any) -> Response:
    return await _show(
        request,
        "assessments/evaluation.html",
        lambda service: service.evaluation_page(activity_id, user),
        {"likert": LIKERT, "max_text": MAX_TEXT_ANSWER},
        **shown,
    )


async def evaluation_page(request: Request) -> Response:
    user = require_user(request)
    return await _evaluation(request, user, path_int(request, "activity_id"))


async def submit_evaluation(request: Request) -> Response:
    user = require_user(request)
    activity_id = path_int(request, "activity_id")
    data = await read_form(request)

    async def change(service: AttemptService) -> Done:
        await service.submit_evaluation(activity_id, user, data)
        return "Thank you: your evaluation is recorded.", "success"

    async def again(exc: InvalidInput) -> Response:
        return await _evaluation(
            request, user, activity_id, values=data, errors=exc.errors, status=422
        )

    return await _submit(request, f"/activities/{activity_id}/evaluation", change, again)


# -- the post-test -------------------------------------------------------------------------
async def _post_test(request: Request, user: User, activity_id: int, **shown: Any) -> Response:
    return await _show(
        request,
        "assessments/post_test.html",
        lambda service: service.post_test_page(activity_id, user),
        {"options_of": options_of},
        **shown,
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

    async def change(service: AttemptService) -> Done:
        attempt = await service.submit_post_test(activity_id, user, int(raw_attempt), data)
        verdict = "You passed" if attempt.passed else "You did not pass this time"
        return (
            f"{verdict}: {attempt.score_percent:.1f}% on attempt {attempt.number}.",
            "success" if attempt.passed else "warning",
        )

    async def again(exc: InvalidInput) -> Response:
        return await _post_test(
            request, user, activity_id, values=data, errors=exc.errors, status=422
        )

    return await _submit(request, f"/activities/{activity_id}/post-test", change, again)


_STAFF = "/admin/activities/{activity_id:int}/assessments"

ROUTES: list[BaseRoute] = [
    # learners (faculty and administrators see a preview)
    Route("/activities/{activity_id:int}/evaluation", evaluation_page, name="evaluation"),
    Route("/activities/{activity_id:int}/evaluation", submit_evaluation, methods=["POST"]),
    Route("/activities/{activity_id:int}/post-test", post_test_page, name="post_test"),
    Route("/activities/{activity_id:int}/post-test/start", start_post_test, methods=["POST"]),
    Route("/activities/{activity_id:int}/post-test/submit", submit_post_test, methods=["POST"]),
    # the course's faculty and administrators
    Route(_STAFF, staff.authoring_page, name="assessments"),
    Route(f"{_STAFF}/evaluation/standard", staff.add_standard_evaluation, methods=["POST"]),
    Route(f"{_STAFF}/{{kind}}", staff.save_assessment, methods=["POST"]),
    Route(f"{_STAFF}/{{kind}}/delete", staff.delete_assessment, methods=["POST"]),
    Route(f"{_STAFF}/{{kind}}/questions", staff.add_question, methods=["POST"]),
    Route(
        f"{_STAFF}/{{kind}}/questions/{{question_id:int}}",
        staff.update_question,
        methods=["POST"],
    ),
    Route(
        f"{_STAFF}/{{kind}}/questions/{{question_id:int}}/delete",
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
