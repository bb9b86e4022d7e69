"""Poll and Q&A exports (CSV) for a live session's or a meeting's hosts.

A course session's: for the course's faculty and administrators (as its chat transcript); a
meeting's (all its occurrences): for its organizer and administrators. Three files each: every
vote (``polls.csv``), the results per option (``poll-results.csv``) and the questions asked
(``questions.csv``). Who may read them is ``courses.room_records``' to decide."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_teacher, services_of
from app.pages._forms import path_int
from app.wiring import Unit
from courses.audience_questions import AudienceQuestionService, questions_csv
from courses.clock import Clock
from courses.models import User
from courses.polls import PollService, poll_results_csv, polls_csv
from courses.room_records import RoomRecord, meeting_record, session_record

log = structlog.get_logger(__name__)

Export = Callable[[AsyncSession, Clock, RoomRecord], Awaitable[tuple[str, int]]]
"""The CSV of one record, and how many rows it holds (for the log)."""
Find = Callable[[Unit], Awaitable[RoomRecord]]


async def _votes(session: AsyncSession, clock: Clock, record: RoomRecord) -> tuple[str, int]:
    export = await PollService(session, clock).export(record)
    return polls_csv(export), len(export.votes)


async def _results(session: AsyncSession, clock: Clock, record: RoomRecord) -> tuple[str, int]:
    export = await PollService(session, clock).export(record)
    return poll_results_csv(export), len(export.polls)


async def _questions(session: AsyncSession, clock: Clock, record: RoomRecord) -> tuple[str, int]:
    export = await AudienceQuestionService(session, clock).export(record)
    return questions_csv(export), len(export.questions)


def _finder(request: Request, user: User) -> Find:
    """The session or meeting the path names, checked against ``user`` once a unit is open."""
    if "meeting_id" in request.path_params:
        meeting_id = path_int(request, "meeting_id")
        return lambda unit: meeting_record(unit.session, unit.clock, meeting_id, user)
    activity_id = path_int(request, "activity_id")
    return lambda unit: session_record(unit.session, unit.clock, activity_id, user)


def _download(kind: str, export: Export) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        user = require_teacher(request)
        find = _finder(request, user)
        async with services_of(request).unit() as unit:
            record = await find(unit)
            text, rows = await export(unit.session, unit.clock, record)
        log.info("room_records.exported", kind=kind, record=record.name, user_id=user.id,
                 rows=rows)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{kind}-{record.name}.csv"'},
        )

    download.__name__ = f"{kind.replace('-', '_')}_csv"
    return download


polls_download = _download("polls", _votes)
poll_results_download = _download("poll-results", _results)
questions_download = _download("questions", _questions)

ROUTES: list[BaseRoute] = [
    Route("/admin/activities/{activity_id:int}/polls.csv", polls_download),
    Route("/admin/activities/{activity_id:int}/poll-results.csv", poll_results_download),
    Route("/admin/activities/{activity_id:int}/questions.csv", questions_download),
    Route("/meetings/{meeting_id:int}/polls.csv", polls_download),
    Route("/meetings/{meeting_id:int}/poll-results.csv", poll_results_download),
    Route("/meetings/{meeting_id:int}/questions.csv", questions_download),
]
