"""A learner's transcript: the credit they claimed across activities, by type, in a date range.

Only current claims count: a corrected claim is replaced by its correction (the row whose
``supersedes_id`` names it), so each claim that no other claim supersedes is on the transcript
once. Totals are ``Decimal`` sums in each type's unit; ACPE claims also total their CEUs
(contact hours / 10). The CSV and PDF downloads carry the same lines and totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.accreditation import format_label
from courses.claims import ClaimService
from courses.clock import Clock
from courses.credit_rules import RULES, CreditType
from courses.date_ranges import DateRange, long_date
from courses.errors import PermissionDenied, UserNotFound
from courses.exports import csv_text, provider_of
from courses.models import Activity, Certificate, Course, CreditClaim, User
from courses.pdf_tables import PdfSection, table_pdf

log = structlog.get_logger(__name__)

ACPE_CEUS_PER_HOUR = Decimal("0.1")


async def current_claims(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: int | None = None,
    activity_id: int | None = None,
    period: DateRange | None = None,
) -> list[CreditClaim]:
    """Claims no correction has replaced, completed in ``period`` (inclusive), oldest first;
    any with zero credits left out (a correction to nothing withdraws a claim)."""
    found = await ClaimService(session, clock).current_claims(
        user_id=user_id,
        activity_id=activity_id,
        since=period.since if period else None,
        until=period.until if period else None,
    )
    return [claim for claim in found if claim.credits != 0]


def ceus_of(claim: CreditClaim) -> Decimal | None:
    """ACPE CEUs of a claim: as recorded, or its contact hours / 10."""
    if claim.credit_type != CreditType.ACPE:
        return claim.ceus
    return claim.ceus if claim.ceus is not None else claim.credits * ACPE_CEUS_PER_HOUR


def type_label(credit_type: str) -> tuple[str, str]:
    """(label, unit) of a credit type, from its rule."""
    try:
        rule = RULES[CreditType(credit_type)]
    except ValueError:
        return credit_type, "credits"
    return rule.label, rule.unit


def type_order(credit_type: str) -> int:
    """Table order of the rules (AMA first, participation last)."""
    order = [t.value for t in RULES]
    return order.index(credit_type) if credit_type in order else len(order)


@dataclass(frozen=True)
class TranscriptLine:
    claim_id: int
    completed_on: date
    activity_id: int
    activity_title: str
    course_title: str
    activity_format: str
    credit_type: str
    credits: Decimal
    ceus: Decimal | None
    certificate_code: str | None

    @property
    def certificate_url(self) -> str | None:
        return f"/certificates/{self.certificate_code}.pdf" if self.certificate_code else None


@dataclass(frozen=True)
class CreditTotal:
    """One credit type's lines and their total."""

    credit_type: str
    label: str
    unit: str
    lines: list[TranscriptLine]

    @property
    def credits(self) -> Decimal:
        return sum((line.credits for line in self.lines), Decimal(0))

    @property
    def ceus(self) -> Decimal | None:
        values = [line.ceus for line in self.lines if line.ceus is not None]
        return sum(values, Decimal(0)) if values else None


@dataclass(frozen=True)
class Transcript:
    learner: User
    period: DateRange
    provider_name: str
    generated_at: datetime
    groups: list[CreditTotal] = field(default_factory=list)

    @property
    def lines(self) -> list[TranscriptLine]:
        every = [line for group in self.groups for line in group.lines]
        return sorted(every, key=lambda line: (line.completed_on, line.claim_id))

    @property
    def is_empty(self) -> bool:
        return not self.groups


class TranscriptService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def learner(self, user_id: int, actor: User) -> User:
        """Whose transcript: learners may open only their own, administrators anyone's."""
        if actor.id != user_id and not permissions.is_admin(actor):
            raise PermissionDenied("Only administrators may see another person's transcript.")
        learner = await self.session.get(User, user_id)
        if learner is None:
            raise UserNotFound(f"There is no user with id {user_id}.")
        return learner

    async def transcript(self, user_id: int, period: DateRange, actor: User) -> Transcript:
        """``user_id``'s current claims completed in ``period``, by credit type."""
        learner = await self.learner(user_id, actor)
        claims = await current_claims(self.session, self.clock, user_id=user_id, period=period)
        activity_ids = sorted({c.activity_id for c in claims})
        activities = await self._activities(activity_ids)
        codes = await self._certificate_codes(user_id, activity_ids)
        by_type: dict[str, list[TranscriptLine]] = {}
        for claim in claims:
            activity, course = activities[claim.activity_id]
            by_type.setdefault(claim.credit_type, []).append(
                TranscriptLine(
                    claim_id=claim.id or 0,
                    completed_on=claim.completed_on,
                    activity_id=claim.activity_id,
                    activity_title=activity.title,
                    course_title=course.title,
                    activity_format=format_label(activity),
                    credit_type=claim.credit_type,
                    credits=claim.credits,
                    ceus=ceus_of(claim),
                    certificate_code=codes.get(claim.activity_id),
                )
            )
        groups = [
            CreditTotal(credit_type, *type_label(credit_type), lines)
            for credit_type, lines in sorted(by_type.items(), key=lambda kv: type_order(kv[0]))
        ]
        provider = await provider_of(self.session)
        log.info(
            "transcript.built",
            user_id=user_id,
            actor_id=actor.id,
            lines=len(claims),
            since=str(period.since or ""),
            until=str(period.until or ""),
        )
        return Transcript(learner, period, provider.name, self.clock.now(), groups)

    async def _activities(self, ids: list[int]) -> dict[int, tuple[Activity, Course]]:
        if not ids:
            return {}
        stmt = (
            select(Activity, Course)
            .join(Course, col(Course.id) == Activity.course_id)
            .where(col(Activity.id).in_(ids))
        )
        return {a.id or 0: (a, c) for a, c in (await self.session.exec(stmt)).all()}

    async def _certificate_codes(self, user_id: int, activity_ids: list[int]) -> dict[int, str]:
        """The verification code of each activity's certificate (reissues keep the code)."""
        if not activity_ids:
            return {}
        stmt = (
            select(Certificate)
            .where(Certificate.user_id == user_id, col(Certificate.activity_id).in_(activity_ids))
            .order_by(col(Certificate.id))
        )
        return {c.activity_id: c.code for c in (await self.session.exec(stmt)).all()}


# -- downloads ---------------------------------------------------------------------------
CSV_FIELDS = (
    "Completion date",
    "Activity",
    "Course",
    "Format",
    "Credit type",
    "Credits",
    "Unit",
    "ACPE CEUs",
    "Certificate code",
)


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def transcript_csv(transcript: Transcript) -> str:
    """One row per claim, by credit type and date; then one "Total" row per credit type."""
    rows = [
        [
            line.completed_on.isoformat(),
            line.activity_title,
            line.course_title,
            line.activity_format,
            group.label,
            _number(line.credits),
            group.unit,
            _number(line.ceus),
            line.certificate_code or "",
        ]
        for group in transcript.groups
        for line in group.lines
    ]
    rows += [
        [
            "Total",
            "",
            "",
            "",
            group.label,
            _number(group.credits),
            group.unit,
            _number(group.ceus),
            "",
        ]
        for group in transcript.groups
    ]
    return csv_text(CSV_FIELDS, rows)


# Column shares of the PDF tables: the certificate code must fit on one line.
WITHOUT_CEUS = [0.12, 0.27, 0.2, 0.13, 0.1, 0.18]
WITH_CEUS = [0.12, 0.24, 0.17, 0.13, 0.08, 0.08, 0.18]


def transcript_pdf(transcript: Transcript) -> bytes:
    """The transcript as a PDF: learner, range, provider, a table per credit type with its
    total, and the date it was generated."""
    sections = [
        PdfSection(
            heading=f"{group.label} ({group.unit})",
            header=[
                "Completed",
                "Activity",
                "Course",
                "Format",
                "Credits",
                *(["CEUs"] if group.ceus is not None else []),
                "Certificate",
            ],
            rows=[
                [
                    long_date(line.completed_on),
                    line.activity_title,
                    line.course_title,
                    line.activity_format,
                    _number(line.credits),
                    *([_number(line.ceus)] if group.ceus is not None else []),
                    line.certificate_code or "",
                ]
                for line in group.lines
            ],
            total=[
                "Total",
                "",
                "",
                "",
                _number(group.credits),
                *([_number(group.ceus)] if group.ceus is not None else []),
                "",
            ],
            widths=WITH_CEUS if group.ceus is not None else WITHOUT_CEUS,
        )
        for group in transcript.groups
    ]
    summary = [
        f"Total {group.label}: {_number(group.credits)} {group.unit}"
        + (f" ({_number(group.ceus)} CEUs)" if group.ceus is not None else "")
        for group in transcript.groups
    ]
    generated = transcript.generated_at.strftime("%d %b %Y, %H:%M UTC").lstrip("0")
    return table_pdf(
        title="Transcript of continuing education credit",
        lines=[
            f"Learner: {transcript.learner.display_name}",
            f"Dates: {transcript.period.label}",
            f"Provider: {transcript.provider_name}",
        ],
        sections=sections,
        summary=summary or ["No credit was claimed in these dates."],
        footer=f"Generated {generated} by {transcript.provider_name}.",
    )
