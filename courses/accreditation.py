"""Accreditation setup: the provider and its statements; per activity, the credit it is
designated for, its breaks, its actual live window, its reporting fields and its disclosures.

This module holds the reading side, the provider's settings and the lock; the writing of the
rest is split by concern: ``courses.designations`` (designations and breaks),
``courses.activity_details`` (live-window correction, location, commercial support,
competencies, on-demand threshold) and ``courses.disclosures``.

Who may do what (``app.pages.accreditation`` follows it):

- the provider's name, ACCME and ACPE identifiers and accreditation statements: administrators;
- an activity's accreditation page: the course's faculty and administrators may read it;
- designations, breaks, the live-window correction, location, commercial support,
  competencies and the on-demand watched threshold: administrators only, because they decide
  or report the credit the provider awards (the CME office's job, not the presenter's);
- disclosures: the course's faculty and administrators.

The lock. Designation happens in advance, as the accreditors require, so once an activity has
started (``AccreditationService.is_locked``) these are refused with ``AccreditationLocked``
(409): adding, changing or removing a designation, adding or removing a break, changing the
on-demand watched threshold, and adding or removing a disclosure (disclosures must be shown
to learners before the activity; changing them afterwards would rewrite what they were
shown). An activity has started when:

- live: ``clock.now() >= starts_at``;
- on demand: once any learner has started it: a learner (not the course's faculty or an
  administrator previewing it) has watch progress on a recording published as the activity,
  or has a post-test or evaluation attempt, or any credit claim exists for it.

Not locked: the live-window correction (a record of what happened, made afterwards), the
location, commercial support and competencies (reporting fields, corrected for PARS).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal

import structlog
from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import credit_rules, permissions
from courses._fields import require_admin, text_of
from courses.catalog import CatalogService, CourseView
from courses.clock import Clock
from courses.credit_rules import RULES, CreditRule
from courses.errors import Conflict, InvalidInput, PermissionDenied
from courses.models import (
    Activity,
    ActivityBreak,
    Assessment,
    AssessmentAttempt,
    CourseFaculty,
    CreditClaim,
    CreditDesignation,
    Disclosure,
    Organization,
    ProviderStatement,
    Recording,
    Role,
    User,
    WatchProgress,
)
from courses.uan import validate_uan

__all__ = [
    "COMPETENCIES",
    "AccreditationLocked",
    "AccreditationService",
    "format_label",
    "joint_accreditation_statement",
    "pars_activity_type",
    "threshold_of",
    "to_rule",
    "validate_uan",
]

log = structlog.get_logger(__name__)

# The ACGME/IOM competencies an activity may address (ACCME PARS), in the order stored.
COMPETENCIES = (
    "Patient care",
    "Medical knowledge",
    "Practice-based learning and improvement",
    "Interpersonal and communication skills",
    "Professionalism",
    "Systems-based practice",
    "Interprofessional collaboration",
    "Quality improvement",
    "Evidence-based practice",
    "Informatics",
)
DEFAULT_THRESHOLD_PERCENT = 95
MIN_THRESHOLD_PERCENT = 50
MAX_STATEMENT = 4000
MAX_SUPPORTERS = 2000
FULL_ATTENDANCE_CHOICES: Mapping[str, bool | None] = {"": None, "yes": True, "no": False}


class AccreditationLocked(Conflict):
    """The activity has started: what was designated and disclosed in advance stays."""

    code = "accreditation_locked"


# -- pure helpers ----------------------------------------------------------------------------
def joint_accreditation_statement(provider: str) -> str:
    """The standard Joint Accreditation statement, offered as every type's default."""
    return (
        f"In support of improving patient care, {provider} is jointly accredited by the "
        "Accreditation Council for Continuing Medical Education (ACCME), the Accreditation "
        "Council for Pharmacy Education (ACPE), and the American Nurses Credentialing Center "
        "(ANCC), to provide continuing education for the healthcare team."
    )


def to_rule(row: CreditDesignation) -> credit_rules.Designation:
    return credit_rules.Designation(
        row.credit_type, row.maximum, row.full_attendance, row.tolerance_minutes
    )


def format_label(activity: Activity) -> str:
    """The format printed on certificates."""
    return "Live activity" if activity.is_live else "Enduring material"


def pars_activity_type(activity: Activity) -> str:
    """The ACCME PARS activity type: Rounds runs its sessions and recordings online."""
    return "Internet Live Course" if activity.is_live else "Internet Enduring Material"


def competencies_of(activity: Activity) -> list[str]:
    return [c for c in activity.competencies.split(",") if c]


def instructional_minutes(activity: Activity, breaks: Sequence[ActivityBreak]) -> Decimal | None:
    """Scheduled minutes less breaks (live), or the item's length (on demand); None unset."""
    if not activity.is_live:
        return None if activity.duration_minutes is None else Decimal(activity.duration_minutes)
    if activity.starts_at is None or activity.ends_at is None:
        return None
    seconds = (activity.ends_at - activity.starts_at).total_seconds()
    seconds -= sum((b.ends_at - b.starts_at).total_seconds() for b in breaks)
    return Decimal(int(max(0.0, seconds))) / 60


def designation_limit(rule: CreditRule, minutes: Decimal) -> Decimal:
    """The largest maximum ``minutes`` of instruction allow: their credits, rounded up to a
    whole step (55 minutes allow 1 AMA credit; 0.92 ANCC contact hours)."""
    steps = (minutes / rule.minutes_per_credit / rule.step).to_integral_value(ROUND_CEILING)
    return rule.quantize(steps * rule.step)


# -- the service -----------------------------------------------------------------------------
class AccreditationService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalog = CatalogService(session, clock)

    # reading
    async def provider(self) -> Organization:
        """The one organization row (made on first use, as ``AccountService`` does)."""
        org = (await self.session.exec(select(Organization).limit(1))).first()
        if org is None:
            org = Organization(name="Rounds", signup_enabled=True, created_at=self.clock.now())
            self.session.add(org)
            await self.session.flush()
        return org

    async def statements(self) -> dict[str, str]:
        rows = await self.session.exec(select(ProviderStatement))
        return {row.credit_type: row.statement for row in rows.all()}

    async def designations(self, activity_id: int) -> list[CreditDesignation]:
        """In the credit rules' table order."""
        stmt = select(CreditDesignation).where(CreditDesignation.activity_id == activity_id)
        order = {credit_type.value: n for n, credit_type in enumerate(RULES)}
        rows = (await self.session.exec(stmt)).all()
        return sorted(rows, key=lambda d: (order.get(d.credit_type, len(order)), d.credit_type))

    async def breaks(self, activity_id: int) -> list[ActivityBreak]:
        stmt = select(ActivityBreak).where(ActivityBreak.activity_id == activity_id)
        rows = await self.session.exec(stmt.order_by(col(ActivityBreak.starts_at)))
        return list(rows.all())

    async def disclosures(self, activity_id: int) -> list[Disclosure]:
        stmt = select(Disclosure).where(Disclosure.activity_id == activity_id)
        return list((await self.session.exec(stmt.order_by(col(Disclosure.id)))).all())

    async def is_locked(self, activity: Activity) -> bool:
        """Whether the activity has started (see the module docstring)."""
        if activity.is_live:
            return activity.starts_at is not None and self.clock.now() >= activity.starts_at
        staff = select(CourseFaculty.user_id).where(CourseFaculty.course_id == activity.course_id)
        learner = (col(User.role) != Role.ADMIN.value) & col(User.id).not_in(staff)
        watched = (
            select(WatchProgress.id)
            .join(Recording, col(Recording.id) == WatchProgress.recording_id)
            .join(User, col(User.id) == WatchProgress.user_id)
            .where(Recording.published_activity_id == activity.id, learner)
        )
        attempted = (
            select(AssessmentAttempt.id)
            .join(Assessment, col(Assessment.id) == AssessmentAttempt.assessment_id)
            .join(User, col(User.id) == AssessmentAttempt.user_id)
            .where(Assessment.activity_id == activity.id, learner)
        )
        claimed = select(CreditClaim.id).where(CreditClaim.activity_id == activity.id)
        for started in (claimed, watched, attempted):
            if (await self.session.exec(select(exists(started)))).one():
                return True
        return False

    async def managed(self, activity_id: int, actor: User) -> tuple[Activity, CourseView]:
        """The activity, for its course's faculty and administrators only."""
        activity, view = await self.catalog.activity(activity_id, actor)
        if not permissions.can_manage_course(actor, view.faculty_ids):
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        return activity, view

    # the provider (administrators)
    async def update_provider(self, data: Mapping[str, object], actor: User) -> Organization:
        """Name, ACCME provider id, ACPE provider number and one statement per credit type
        (``statement_<TYPE>``; blank removes it)."""
        require_admin(actor, "change the provider's accreditation settings")
        errors: dict[str, str] = {}
        name = text_of(data, "name")
        if not name or len(name) > 200:
            errors["name"] = "Give the provider's name, as accredited, in 1 to 200 characters."
        accme = text_of(data, "accme_provider_id")
        if accme and not (accme.isascii() and accme.isdigit() and len(accme) <= 20):
            errors["accme_provider_id"] = "The ACCME provider id is digits only, like 0012345."
        acpe = text_of(data, "acpe_provider_number")
        if acpe and not (acpe.isascii() and acpe.isdigit() and len(acpe) == 4):
            errors["acpe_provider_number"] = (
                "The ACPE provider number is 4 digits, the first part of every UAN, like 0123."
            )
        statements: dict[str, str] = {}
        for credit_type in RULES:
            text = text_of(data, f"statement_{credit_type.value}")
            if len(text) > MAX_STATEMENT:
                errors[f"statement_{credit_type.value}"] = (
                    f"Keep the statement under {MAX_STATEMENT} characters."
                )
            statements[credit_type.value] = text
        if errors:
            raise InvalidInput(errors)
        org = await self.provider()
        org.name, org.accme_provider_id, org.acpe_provider_number = name, accme, acpe
        self.session.add(org)
        now = self.clock.now()
        for kind, text in statements.items():
            row = await self.session.get(ProviderStatement, kind)
            if not text:
                if row is not None:
                    await self.session.delete(row)
                continue
            row = row or ProviderStatement(credit_type=kind, statement=text, updated_at=now)
            row.statement, row.updated_by_id, row.updated_at = text, actor.id, now
            self.session.add(row)
        await self.session.flush()
        log.info("accreditation.provider_updated", actor_id=actor.id, acpe=bool(acpe))
        return org


def threshold_of(activity: Activity) -> int:
    """The watched percentage on-demand credit needs."""
    return activity.credit_threshold_percent or DEFAULT_THRESHOLD_PERCENT
