"""ACCME PARS data for a reporting period: one row per accredited activity and one per
physician learner, as CSV files in the PARS batch style and as a MedBiquitous-style XML
Activity Report (``courses.exports.activity_report``).

Which activities: those designated for credit (a ``CreditDesignation`` row) that ran in the
period: a live session whose local date falls in it, or an enduring material released in it
or completed by someone in it. Learners are counted from current claims completed in the
period: physicians are those who claimed AMA PRA Category 1 credit or whose profession is MD
or DO; everyone else who claimed is an "other learner". The learner file lists the physicians.

Choices where PARS leaves room:

- activity type: ``courses.accreditation.pars_activity_type`` (Rounds runs its sessions
  online: Internet Live Course; a published recording is an Internet Enduring Material);
- hours of instruction: a live session's scheduled minutes less its breaks, an enduring
  material's designated duration (else its recording's length), / 60, to 0.01 h;
- an enduring material's start date is its release (the recording's publication, else the
  activity's creation), its end date the last completion in the period (else the start);
- location: the activity's location, "Online" when it has none;
- dates: MM/DD/YYYY in the CSV files as the PARS templates write them, ISO 8601 (xs:date) in
  the XML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.accreditation import competencies_of, pars_activity_type
from courses.clock import Clock
from courses.credit_rules import CreditType
from courses.date_ranges import DateRange
from courses.errors import PermissionDenied
from courses.exports import csv_text, provider_of, split_name, us_date
from courses.models import (
    Activity,
    ActivityBreak,
    CreditClaim,
    CreditDesignation,
    Degree,
    Recording,
    User,
)
from courses.recordings import RecordingService
from courses.transcripts import current_claims
from courses.watching import merge, total

log = structlog.get_logger(__name__)

HUNDREDTH = Decimal("0.01")
PHYSICIAN_DEGREES = frozenset({Degree.MD.value, Degree.DO.value})
ONLINE = "Online"

ACTIVITY_FIELDS = (
    "Activity ID",
    "Activity Type",
    "Activity Title",
    "Start Date",
    "End Date",
    "Location",
    "Hours of Instruction",
    "AMA PRA Category 1 Credits Designated",
    "Physician Learners",
    "Other Learners",
    "Commercial Support",
    "Commercial Supporters",
    "Competencies",
)
LEARNER_FIELDS = (
    "Activity ID",
    "First Name",
    "Last Name",
    "NPI",
    "License Number",
    "License State",
    "Birth Month",
    "Birth Day",
    "Completion Date",
    "AMA PRA Category 1 Credits Claimed",
)


@dataclass(frozen=True)
class ParsLearner:
    activity_id: int
    first_name: str
    last_name: str
    npi: str
    license_number: str
    license_state: str
    birth_month: int | None
    birth_day: int | None
    completed_on: date
    credits: Decimal
    """AMA PRA Category 1 credits claimed (0.00 for a physician who claimed another type)."""


@dataclass(frozen=True)
class ParsActivity:
    activity_id: int
    activity_type: str
    title: str
    start_date: date
    end_date: date
    location: str
    hours: Decimal
    ama_designated: Decimal
    physicians: int
    others: int
    commercial_support: bool
    supporters: list[str]
    competencies: list[str]
    learners: list[ParsLearner] = field(default_factory=list)


@dataclass(frozen=True)
class ParsReport:
    provider_name: str
    accme_provider_id: str
    period: DateRange
    generated_at: datetime
    activities: list[ParsActivity]


def _local_date(moment: datetime, zone: str | None) -> date:
    return moment.astimezone(ZoneInfo(zone or "UTC")).date()


def instruction_hours(
    activity: Activity, breaks: Sequence[ActivityBreak], recording: Recording | None
) -> Decimal:
    """Hours of instruction (see the module's notes), to the hundredth."""
    if activity.is_live and activity.starts_at and activity.ends_at:
        start, end = activity.starts_at.timestamp(), activity.ends_at.timestamp()
        pauses = total(
            merge(
                (max(start, b.starts_at.timestamp()), min(end, b.ends_at.timestamp()))
                for b in breaks
            )
        )
        seconds = Decimal(str(round(max(0.0, end - start - pauses))))
    elif activity.duration_minutes:
        seconds = Decimal(activity.duration_minutes * 60)
    else:
        seconds = (
            Decimal(str(round(recording.duration_seconds or 0.0))) if recording else Decimal(0)
        )
    return (seconds / 3600).quantize(HUNDREDTH)


class ParsExport:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def report(self, period: DateRange, actor: User) -> ParsReport:
        """The period's activities and learners; administrators only."""
        if not permissions.is_admin(actor):
            raise PermissionDenied(f"This needs the admin role; your account is {actor.role}.")
        claims = await current_claims(self.session, self.clock, period=period)
        designations = (await self.session.exec(select(CreditDesignation))).all()
        designated: dict[int, dict[str, CreditDesignation]] = {}
        for row in designations:
            designated.setdefault(row.activity_id, {})[row.credit_type] = row
        activities = (
            (
                await self.session.exec(
                    select(Activity)
                    .where(col(Activity.id).in_(sorted(designated)))
                    .order_by(col(Activity.starts_at), col(Activity.id))
                )
            ).all()
            if designated
            else []
        )
        claimed: dict[int, list[CreditClaim]] = {}
        for claim in claims:
            claimed.setdefault(claim.activity_id, []).append(claim)
        users = await self._users({c.user_id for c in claims})
        rows: list[ParsActivity] = []
        for activity in activities:
            found = await self._activity(
                activity,
                designated[activity.id or 0],
                claimed.get(activity.id or 0, []),
                users,
                period,
            )
            if found is not None:
                rows.append(found)
        rows.sort(key=lambda r: (r.start_date, r.activity_id))
        provider = await provider_of(self.session)
        log.info(
            "export.pars",
            actor_id=actor.id,
            activities=len(rows),
            since=str(period.since),
            until=str(period.until),
        )
        return ParsReport(provider.name, provider.accme_provider_id, period, self.clock.now(), rows)

    async def _activity(
        self,
        activity: Activity,
        designations: dict[str, CreditDesignation],
        claims: list[CreditClaim],
        users: dict[int, User],
        period: DateRange,
    ) -> ParsActivity | None:
        recording = None
        if activity.is_live:
            if activity.starts_at is None or activity.ends_at is None:
                return None
            start = _local_date(activity.starts_at, activity.timezone)
            end = _local_date(activity.ends_at, activity.timezone)
            if not period.contains(start):
                return None
        else:
            recording = await RecordingService(self.session, self.clock).replay_of(activity.id or 0)
            released = (
                recording.published_at
                if recording and recording.published_at
                else activity.created_at
            )
            start = released.date()
            if not claims and not period.contains(start):
                return None
            end = max((c.completed_on for c in claims), default=start)
        breaks = (
            await self.session.exec(
                select(ActivityBreak).where(ActivityBreak.activity_id == activity.id)
            )
        ).all()
        ama = designations.get(CreditType.AMA_PRA_1)
        learners = self._learners(activity.id or 0, claims, users)
        claimants = {c.user_id for c in claims}
        return ParsActivity(
            activity_id=activity.id or 0,
            activity_type=pars_activity_type(activity),
            title=activity.title,
            start_date=start,
            end_date=end,
            location=(activity.location.strip() or ONLINE) if activity.is_live else ONLINE,
            hours=instruction_hours(activity, breaks, recording),
            ama_designated=(ama.maximum if ama else Decimal(0)).quantize(HUNDREDTH),
            physicians=len(learners),
            others=len(claimants) - len(learners),
            commercial_support=activity.commercial_support,
            supporters=[
                s.strip() for s in activity.commercial_supporters.splitlines() if s.strip()
            ],
            competencies=[c.strip() for c in competencies_of(activity) if c.strip()],
            learners=learners,
        )

    @staticmethod
    def _learners(
        activity_id: int, claims: list[CreditClaim], users: dict[int, User]
    ) -> list[ParsLearner]:
        by_user: dict[int, list[CreditClaim]] = {}
        for claim in claims:
            by_user.setdefault(claim.user_id, []).append(claim)
        learners = []
        for user_id, rows in by_user.items():
            user = users[user_id]
            ama = [c for c in rows if c.credit_type == CreditType.AMA_PRA_1]
            if not ama and user.degree not in PHYSICIAN_DEGREES:
                continue
            first, last = split_name(user.display_name)
            learners.append(
                ParsLearner(
                    activity_id=activity_id,
                    first_name=first,
                    last_name=last,
                    npi=user.npi or "",
                    license_number=user.license_number or "",
                    license_state=user.license_state or "",
                    birth_month=user.birth_month,
                    birth_day=user.birth_day,
                    completed_on=min(c.completed_on for c in (ama or rows)),
                    credits=sum((c.credits for c in ama), Decimal(0)).quantize(HUNDREDTH),
                )
            )
        learners.sort(key=lambda r: (r.last_name.lower(), r.first_name.lower()))
        return learners

    async def _users(self, ids: set[int]) -> dict[int, User]:
        if not ids:
            return {}
        found = await self.session.exec(select(User).where(col(User.id).in_(sorted(ids))))
        return {u.id or 0: u for u in found.all()}


# -- files ---------------------------------------------------------------------------------
def number_text(value: Decimal | int | None) -> str:
    """A number as the files write it: decimals in full ("1.25"), "" for none."""
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def activity_rows(report: ParsReport) -> list[list[str]]:
    return [
        [
            str(a.activity_id),
            a.activity_type,
            a.title,
            us_date(a.start_date),
            us_date(a.end_date),
            a.location,
            number_text(a.hours),
            number_text(a.ama_designated),
            str(a.physicians),
            str(a.others),
            "Yes" if a.commercial_support else "No",
            "; ".join(a.supporters),
            "; ".join(a.competencies),
        ]
        for a in report.activities
    ]


def learner_rows(report: ParsReport) -> list[list[str]]:
    return [
        [
            str(r.activity_id),
            r.first_name,
            r.last_name,
            r.npi,
            r.license_number,
            r.license_state,
            number_text(r.birth_month),
            number_text(r.birth_day),
            us_date(r.completed_on),
            number_text(r.credits),
        ]
        for a in report.activities
        for r in a.learners
    ]


def activity_csv(report: ParsReport) -> str:
    return csv_text(ACTIVITY_FIELDS, activity_rows(report))


def learner_csv(report: ParsReport) -> str:
    return csv_text(LEARNER_FIELDS, learner_rows(report))
