"""Reports for the CME office: one activity's report (its faculty and admins), and the
administrators' exports for a period: ACCME PARS activity and learner data (CSV, XML) and the
CPE Monitor upload for pharmacy credit, with the claims that cannot be uploaded yet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_admin, require_teacher, services_of
from app.pages._forms import path_int, query_text, render
from app.wiring import Unit
from courses.credit_rules import RULES
from courses.date_ranges import DateRange, parse_period
from courses.errors import InvalidInput
from courses.exports.activity_report import activity_xml
from courses.exports.cpe_monitor import CpeMonitorExport, upload_csv
from courses.exports.pars import ParsExport, ParsReport, activity_csv, learner_csv
from courses.models import User
from courses.reports import ReportService

log = structlog.get_logger(__name__)

PERIOD_FIELDS = ("year", "from", "to")


async def activity_report(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        report = await ReportService(unit.session, unit.clock).activity_report(activity_id, user)
    units = {t.value: rule.unit for t, rule in RULES.items()}
    return render(request, "reports/activity.html",
                  {"report": report, "activity": report.activity, "type_units": units})


def _period_fields(request: Request) -> dict[str, str]:
    return {name: query_text(request, name, 40) for name in PERIOD_FIELDS}


def _period(request: Request, fields: dict[str, str]) -> DateRange:
    today = services_of(request).clock.now().date()
    return parse_period(fields["year"], fields["from"], fields["to"], today)


async def _period_page(
    request: Request,
    template: str,
    load: Callable[[Unit, DateRange, User], Awaitable[dict[str, Any]]],
    nothing: dict[str, Any],
) -> Response:
    """``template`` for the requested period with what ``load`` finds in it; a period that
    cannot be read shows the form again with the problem and ``nothing`` found (422)."""
    admin = require_admin(request)
    fields = _period_fields(request)
    try:
        period = _period(request, fields)
    except InvalidInput as exc:
        return render(
            request, template, {"form": fields, "errors": exc.errors, **nothing}, status=422
        )
    async with services_of(request).unit() as unit:
        found = await load(unit, period, admin)
    return render(
        request,
        template,
        {"form": fields, "errors": {}, "period": period, "query": period.query(), **found},
    )


async def _reports(unit: Unit, period: DateRange, admin: User) -> dict[str, Any]:
    return {
        "pars": await ParsExport(unit.session, unit.clock).report(period, admin),
        "cpe": await CpeMonitorExport(unit.session, unit.clock).report(period, admin),
    }


async def _cpe_monitor(unit: Unit, period: DateRange, admin: User) -> dict[str, Any]:
    return {"cpe": await CpeMonitorExport(unit.session, unit.clock).report(period, admin)}


async def reports_page(request: Request) -> Response:
    return await _period_page(request, "reports/index.html", _reports, {"pars": None, "cpe": None})


async def cpe_monitor_page(request: Request) -> Response:
    return await _period_page(request, "reports/cpe_monitor.html", _cpe_monitor, {"cpe": None})


Maker = Callable[[Unit, DateRange, User], Awaitable[tuple[str | bytes, str]]]


CSV = "text/csv; charset=utf-8"


def _pars(write: Callable[[ParsReport], str | bytes], media_type: str = CSV) -> Maker:
    """The period's PARS report, written by ``write``."""

    async def make(unit: Unit, period: DateRange, admin: User) -> tuple[str | bytes, str]:
        return write(await ParsExport(unit.session, unit.clock).report(period, admin)), media_type

    return make


_pars_activities = _pars(activity_csv)
_pars_learners = _pars(learner_csv)
_pars_xml = _pars(activity_xml, "application/xml")


async def _cpe_upload(unit: Unit, period: DateRange, admin: User) -> tuple[str, str]:
    return upload_csv(
        await CpeMonitorExport(unit.session, unit.clock).report(period, admin)
    ), CSV


def _download(name: str, make: Maker) -> Callable[[Request], Awaitable[Response]]:
    """A handler answering the file ``make`` builds for the requested period."""

    async def handler(request: Request) -> Response:
        admin = require_admin(request)
        period = _period(request, _period_fields(request))
        async with services_of(request).unit() as unit:
            body, media_type = await make(unit, period, admin)
        stem, extension = name.rsplit(".", 1)
        dates = f"{period.since}-to-{period.until}"
        log.info(
            "export.downloaded",
            file=name,
            admin_id=admin.id,
            since=str(period.since),
            until=str(period.until),
        )
        return Response(
            body,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{stem}-{dates}.{extension}"'},
        )

    return handler


ROUTES: list[BaseRoute] = [
    Route("/admin/activities/{activity_id:int}/report", activity_report),
    Route("/admin/reports", reports_page, name="admin_reports"),
    Route("/admin/reports/cpe-monitor", cpe_monitor_page),
    Route("/admin/reports/pars-activities.csv", _download("pars-activities.csv", _pars_activities)),
    Route("/admin/reports/pars-learners.csv", _download("pars-learners.csv", _pars_learners)),
    Route("/admin/reports/pars.xml", _download("pars-activity-report.xml", _pars_xml)),
    Route("/admin/reports/cpe-monitor.csv", _download("cpe-monitor-upload.csv", _cpe_upload)),
]
