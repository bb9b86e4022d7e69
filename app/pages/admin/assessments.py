"""Writing an activity's evaluation and post-test, and the evaluation summary and responses
for the CME office: the course's faculty and administrators (courses.assessment_authoring)."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.api.params import path_id
from app.auth import require_teacher, services_of
from app.pages._forms import path_int, read_form, render
from app.pages._handlers import Done, run_change
from app.wiring import Unit
from courses import permissions
from courses.assessment_authoring import AuthoringService
from courses.assessment_inputs import NAMES, options_of
from courses.assessments import AssessmentNotFound, AssessmentService
from courses.errors import InvalidInput
from courses.evaluations import LIKERT, response_rows
from courses.models import Assessment, AssessmentKind, User

log = structlog.get_logger(__name__)

KINDS = {"evaluation": AssessmentKind.EVALUATION, "post-test": AssessmentKind.POST_TEST}
SLUGS = {kind: slug for slug, kind in KINDS.items()}


def kind_of(request: Request) -> AssessmentKind:
    slug = str(request.path_params.get("kind", ""))
    if slug not in KINDS:
        raise AssessmentNotFound(
            f"There is no “{slug[:40]}” assessment: an activity has an evaluation and, "
            "on demand, a post-test."
        )
    return KINDS[slug]


def question_id(request: Request) -> int:
    return path_id(request, "question_id", AssessmentNotFound, "question")


def authoring_url(activity_id: int) -> str:
    return f"/admin/activities/{activity_id}/assessments"


def _authoring(unit: Unit) -> AuthoringService:
    return AuthoringService(unit.session, unit.clock)


async def _page(
    request: Request,
    user: User,
    activity_id: int,
    *,
    form: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The authoring page; ``form`` names the form whose ``values`` and ``errors`` to show."""
    async with services_of(request).unit() as unit:
        overview = await _authoring(unit).overview(activity_id, user)
    return render(
        request,
        "assessments/edit.html",
        {
            "overview": overview,
            "activity": overview.activity,
            "form": form,
            "values": values or {},
            "errors": errors or {},
            "options_of": options_of,
            "likert": LIKERT,
            "slugs": SLUGS,
        },
        status=status,
    )


async def authoring_page(request: Request) -> Response:
    user = require_teacher(request)
    return await _page(request, user, path_int(request, "activity_id"))


async def _change(
    request: Request,
    user: User,
    activity_id: int,
    change: Callable[[AuthoringService], Awaitable[Done]],
    *,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    conflicts: bool = True,
) -> Response:
    """Run ``change`` and go back to the authoring page. With ``form``, bad input shows the
    page again with that form's ``values`` and problems (422); a conflict (the assessment is
    locked, say) is flashed on the way back unless ``conflicts`` is off."""

    async def invalid(exc: InvalidInput) -> Response:
        return await _page(
            request,
            user,
            activity_id,
            form=form or "",
            values=values,
            errors=exc.errors,
            status=422,
        )

    async def run(unit: Unit) -> Done:
        return await change(_authoring(unit))

    return await run_change(
        request,
        run,
        back=authoring_url(activity_id),
        invalid=None if form is None else invalid,
        conflicts=conflicts,
    )


async def save_assessment(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    kind = kind_of(request)
    data = await read_form(request)
    data.setdefault("shuffle", "")  # an unticked box sends nothing
    saved: list[Assessment] = []

    async def change(authoring: AuthoringService) -> Done:
        saved.append(await authoring.save(activity_id, kind, data, user))
        return f"The {NAMES[kind]} is saved.", "success"

    response = await _change(
        request, user, activity_id, change, form=SLUGS[kind], values=data, conflicts=False
    )
    if saved:
        log.info(
            "assessment.saved_by_staff",
            activity_id=activity_id,
            assessment_id=saved[0].id,
            user_id=user.id,
        )
    return response


async def add_standard_evaluation(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")

    async def change(authoring: AuthoringService) -> Done:
        await authoring.add_standard_evaluation(activity_id, user)
        return "The standard evaluation is added: change or add questions below.", "success"

    return await _change(request, user, activity_id, change)


async def delete_assessment(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    kind = kind_of(request)

    async def change(authoring: AuthoringService) -> Done:
        await authoring.delete(activity_id, kind, user)
        return f"The {NAMES[kind]} is removed.", "info"

    return await _change(request, user, activity_id, change)


async def add_question(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    kind = kind_of(request)
    data = await read_form(request)
    data.setdefault("required", "")

    async def change(authoring: AuthoringService) -> Done:
        await authoring.add_question(activity_id, kind, data, user)
        return "Question added.", "success"

    return await _change(
        request, user, activity_id, change, form=f"{SLUGS[kind]}-new", values=data
    )


async def update_question(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    kind = kind_of(request)
    qid = question_id(request)
    data = await read_form(request)
    data.setdefault("required", "")

    async def change(authoring: AuthoringService) -> Done:
        await authoring.update_question(activity_id, kind, qid, data, user)
        return "Question saved.", "success"

    return await _change(
        request, user, activity_id, change, form=f"{SLUGS[kind]}-q{qid}", values=data
    )


async def delete_question(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    kind = kind_of(request)
    qid = question_id(request)

    async def change(authoring: AuthoringService) -> Done:
        await authoring.delete_question(activity_id, kind, qid, user)
        return "Question removed.", "info"

    return await _change(request, user, activity_id, change)


# -- for the CME office ---------------------------------------------------------------------
async def summary_page(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        activity, view = await _authoring(unit).managed_activity(activity_id, user)
        summary = await AssessmentService(unit.session, unit.clock).evaluation_summary(activity_id)
    return render(
        request,
        "assessments/summary.html",
        {"activity": activity, "view": view, "summary": summary},
    )


async def responses_csv(request: Request) -> Response:
    """Every submitted evaluation, one row each. Respondents are named for administrators
    (the CME office) only: faculty read what was said, not who said it."""
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        await _authoring(unit).managed_activity(activity_id, user)
        assessments = AssessmentService(unit.session, unit.clock)
        evaluation = await assessments.evaluation(activity_id)
        questions = await assessments.questions(evaluation.id or 0) if evaluation else []
        responses = await assessments.responses(activity_id)
    header, rows = response_rows(questions, responses, identified=permissions.is_admin(user))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        # a cell starting with = + - @ would be a formula in a spreadsheet: quote it
        writer.writerow(["'" + v if v[:1] in "=+-@" else v for v in row])
    log.info(
        "evaluation.responses_exported", activity_id=activity_id, user_id=user.id, rows=len(rows)
    )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="evaluations-activity-{activity_id}.csv"'
        },
    )
