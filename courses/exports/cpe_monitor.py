"""Pharmacy credit for CPE Monitor (ACPE and NABP): the upload file and what blocks it.

Each current ACPE claim completed in the period is one line: the learner's NABP e-Profile ID
and birth month and day (MMDD), the activity's UAN, the date of participation (MM/DD/YYYY),
the contact hours and CEUs (contact hours / 10) — the fields CPE Monitor's submission takes
(provider number, e-PID, MMDD birth date, UAN, date of participation). The file is CSV with
a header row.

A claim cannot be uploaded while the learner has no e-Profile ID or birth date, or the
activity has no UAN: such claims are listed apart and left out of the file. Providers must
report within ``REPORT_DAYS`` of the participation date, so claims older than
``WARN_AFTER_DAYS`` are flagged with the days left, and older than ``REPORT_DAYS`` as late
(CPE Monitor may refuse them; ACPE must then be asked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.clock import Clock
from courses.credit_rules import CreditType
from courses.date_ranges import DateRange
from courses.errors import PermissionDenied
from courses.exports import csv_text, us_date
from courses.models import Activity, CreditClaim, CreditDesignation, User
from courses.transcripts import ceus_of, current_claims

log = structlog.get_logger(__name__)

REPORT_DAYS = 60
WARN_AFTER_DAYS = 45
FIELDS = (
    "NABP e-Profile ID",
    "Birth Date (MMDD)",
    "UAN",
    "Date of Participation",
    "Contact Hours",
    "CEUs",
)
CEU = Decimal("0.001")


@dataclass(frozen=True)
class CpeLine:
    claim: CreditClaim
    learner: User
    activity: Activity
    uan: str
    days_since: int

    @property
    def days_left(self) -> int:
        return REPORT_DAYS - self.days_since

    @property
    def is_late(self) -> bool:
        return self.days_since > REPORT_DAYS

    @property
    def is_due_soon(self) -> bool:
        return WARN_AFTER_DAYS < self.days_since <= REPORT_DAYS

    @property
    def birth_mmdd(self) -> str:
        month, day = self.learner.birth_month, self.learner.birth_day
        return f"{month:02d}{day:02d}" if month and day else ""

    @property
    def missing(self) -> list[str]:
        """What keeps this line out of the upload, in words."""
        gaps = []
        if not self.learner.nabp_eprofile_id:
            gaps.append("NABP e-Profile ID")
        if not self.birth_mmdd:
            gaps.append("birth month and day")
        if not self.uan:
            gaps.append("the activity's UAN")
        return gaps

    @property
    def ceus(self) -> Decimal:
        value = ceus_of(self.claim)
        return (value if value is not None else Decimal(0)).quantize(CEU)

    def row(self) -> list[str]:
        return [
            self.learner.nabp_eprofile_id or "",
            self.birth_mmdd,
            self.uan,
            us_date(self.claim.completed_on),
            format(self.claim.credits, "f"),
            format(self.ceus, "f"),
        ]


@dataclass(frozen=True)
class CpeMonitorReport:
    period: DateRange
    today: date
    generated_at: datetime
    lines: list[CpeLine]

    @property
    def ready(self) -> list[CpeLine]:
        """The lines in the upload file."""
        return [line for line in self.lines if not line.missing]

    @property
    def blocked(self) -> list[CpeLine]:
        """Claims that cannot be uploaded until the learner or the activity is completed."""
        return [line for line in self.lines if line.missing]

    @property
    def due_soon(self) -> list[CpeLine]:
        return [line for line in self.lines if line.is_due_soon]

    @property
    def late(self) -> list[CpeLine]:
        return [line for line in self.lines if line.is_late]


class CpeMonitorExport:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def report(self, period: DateRange, actor: User) -> CpeMonitorReport:
        """Every current ACPE claim completed in ``period``; administrators only."""
        if not permissions.is_admin(actor):
            raise PermissionDenied(f"This needs the admin role; your account is {actor.role}.")
        claims = [
            c
            for c in await current_claims(self.session, self.clock, period=period)
            if c.credit_type == CreditType.ACPE
        ]
        activity_ids = sorted({c.activity_id for c in claims})
        user_ids = sorted({c.user_id for c in claims})
        activities = {
            a.id: a
            for a in (
                await self.session.exec(select(Activity).where(col(Activity.id).in_(activity_ids)))
            ).all()
        }
        users = {
            u.id: u
            for u in (await self.session.exec(select(User).where(col(User.id).in_(user_ids)))).all()
        }
        uans = {
            d.activity_id: d.uan.strip()
            for d in (
                await self.session.exec(
                    select(CreditDesignation).where(
                        col(CreditDesignation.activity_id).in_(activity_ids),
                        CreditDesignation.credit_type == CreditType.ACPE,
                    )
                )
            ).all()
        }
        now = self.clock.now()
        today = now.date()
        lines = [
            CpeLine(
                claim,
                users[claim.user_id],
                activities[claim.activity_id],
                uans.get(claim.activity_id, ""),
                (today - claim.completed_on).days,
            )
            for claim in claims
        ]
        lines.sort(
            key=lambda line: (
                line.claim.completed_on,
                line.learner.display_name.lower(),
                line.claim.id or 0,
            )
        )
        report = CpeMonitorReport(period, today, now, lines)
        log.info(
            "export.cpe_monitor",
            actor_id=actor.id,
            claims=len(lines),
            ready=len(report.ready),
            blocked=len(report.blocked),
            late=len(report.late),
            since=str(period.since),
            until=str(period.until),
        )
        return report


def upload_csv(report: CpeMonitorReport) -> str:
    """The upload file: a header row, then one row per claim that can be uploaded."""
    return csv_text(FIELDS, [line.row() for line in report.ready])
