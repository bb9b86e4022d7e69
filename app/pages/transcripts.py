"""Transcripts of credit, and the CME office's reports and exports (courses.transcripts,
courses.reports, courses.exports).

A learner opens their own transcript at /transcript; administrators open anyone's under
/admin/users/{id}/transcript. Both take an optional date range (``from``, ``to``) and have CSV
and PDF downloads with the same range. The reports' pages are in ``app.pages.reports``."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_admin, require_user, services_of
from app.pages import reports
from app.pages._forms import path_int, query_text, render
from courses.date_ranges import DateRange, parse_range
from courses.errors import InvalidInput
from courses.models import User
from courses.transcripts import TranscriptService, transcript_csv, transcript_pdf

log = structlog.get_logger(__name__)

DATE_TEXT = 40


def _range_fields(request: Request) -> dict[str, str]:
    return {name: query_text(request, name, DATE_TEXT) for name in ("from", "to")}


def _filename(user_id: int, period: DateRange, extension: str) -> str:
    dates = "-".join(d.isoformat() for d in (period.since, period.until) if d)
    return f"transcript-{user_id}{'-' + dates if dates else ''}.{extension}"


async def _page(request: Request, actor: User, user_id: int, base: str) -> Response:
    fields = _range_fields(request)
    async with services_of(request).unit() as unit:
        service = TranscriptService(unit.session, unit.clock)
        learner = await service.learner(user_id, actor)
        try:
            period = parse_range(fields["from"], fields["to"])
        except InvalidInput as exc:
            return render(
                request,
                "transcripts/transcript.html",
                {
                    "learner": learner,
                    "form": fields,
                    "errors": exc.errors,
                    "transcript": None,
                    "base": base,
                },
                status=422,
            )
        transcript = await service.transcript(user_id, period, actor)
    return render(
        request,
        "transcripts/transcript.html",
        {
            "learner": learner,
            "form": fields,
            "errors": {},
            "transcript": transcript,
            "base": base,
            "query": period.query(),
        },
    )


async def _download(request: Request, actor: User, user_id: int, kind: str) -> Response:
    fields = _range_fields(request)
    period = parse_range(fields["from"], fields["to"])
    async with services_of(request).unit() as unit:
        transcript = await TranscriptService(unit.session, unit.clock).transcript(
            user_id, period, actor
        )
    log.info("transcript.downloaded", user_id=user_id, actor_id=actor.id, kind=kind)
    disposition = {
        "Content-Disposition": f'attachment; filename="{_filename(user_id, period, kind)}"'
    }
    if kind == "pdf":
        return Response(
            transcript_pdf(transcript), media_type="application/pdf", headers=disposition
        )
    return Response(
        transcript_csv(transcript), media_type="text/csv; charset=utf-8", headers=disposition
    )


async def my_transcript(request: Request) -> Response:
    user = require_user(request)
    return await _page(request, user, user.id or 0, "/transcript")


async def my_transcript_csv(request: Request) -> Response:
    user = require_user(request)
    return await _download(request, user, user.id or 0, "csv")


async def my_transcript_pdf(request: Request) -> Response:
    user = require_user(request)
    return await _download(request, user, user.id or 0, "pdf")


async def user_transcript(request: Request) -> Response:
    admin = require_admin(request)
    user_id = path_int(request, "user_id")
    return await _page(request, admin, user_id, f"/admin/users/{user_id}/transcript")


async def user_transcript_csv(request: Request) -> Response:
    admin = require_admin(request)
    return await _download(request, admin, path_int(request, "user_id"), "csv")


async def user_transcript_pdf(request: Request) -> Response:
    admin = require_admin(request)
    return await _download(request, admin, path_int(request, "user_id"), "pdf")


ROUTES: list[BaseRoute] = [
    Route("/transcript", my_transcript, name="transcript"),
    Route("/transcript.csv", my_transcript_csv),
    Route("/transcript.pdf", my_transcript_pdf),
    Route("/admin/users/{user_id:int}/transcript", user_transcript),
    Route("/admin/users/{user_id:int}/transcript.csv", user_transcript_csv),
    Route("/admin/users/{user_id:int}/transcript.pdf", user_transcript_pdf),
    *reports.ROUTES,
]
