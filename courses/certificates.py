"""Certificates: what is printed, copied into a row when issued, and the verification code
that a public page confirms.

A certificate carries what the accreditors ask for (DESIGN.md "Continuing-education rules"):
learner name, activity title, format, dates or completion date, location, credits by type,
the accreditation and designation statements, the provider's name, and a verification code.
Everything printed is copied into the ``Certificate`` row when it is issued, so the PDF made
from it is the same years later whatever is edited meanwhile.

A reissue (the learner's name was corrected, a claim was corrected, another credit type was
claimed) is a new row with the same code, superseding the last one: the name comes from the
learner's current profile and the credits from the current claims; what describes the
activity stays as first printed. The verification page shows the newest row of a code.

Codes are 11 characters drawn with ``secrets`` from an alphabet without look-alikes (no 0/O,
1/I/L), grouped 3-4-4 like ``RND-7KQ2-X9MF``: 31**11, about 2**54, so guessing one is
hopeless, and the public page is rate limited besides.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import courses.immutable  # noqa: F401  (claims and certificates are permanent records)
from courses import permissions
from courses.accreditation import AccreditationService, format_label
from courses.clock import Clock
from courses.credit_rules import RULES, CreditType, designation_statement
from courses.errors import InvalidInput, NotFound
from courses.models import Activity, Certificate, Course, CourseFaculty, CreditClaim, User

log = structlog.get_logger(__name__)

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS = (3, 4, 4)
CODE_LENGTH = sum(GROUPS)
MAX_REASON = 500
PARTICIPATION_TITLE = "Certificate of participation"
CREDIT_TITLE = "Certificate of completion"
WITHDRAWN_TITLE = "Withdrawn certificate"


class CertificateNotFound(NotFound):
    code = "certificate_not_found"


# -- codes -----------------------------------------------------------------------------------
def new_code() -> str:
    return group("".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)))


def group(chars: str) -> str:
    parts, at = [], 0
    for size in GROUPS:
        parts.append(chars[at : at + size])
        at += size
    return "-".join(parts)


def normalize_code(text: str) -> str | None:
    """A code as people type it (any case, spaces or dashes anywhere) in its printed form;
    None when it cannot be a code."""
    chars = "".join(c for c in text.upper() if c not in " -\t")
    if len(chars) != CODE_LENGTH or any(c not in ALPHABET for c in chars):
        return None
    return group(chars)


# -- what is printed ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CreditLine:
    credit_type: str
    label: str
    unit: str
    credits: Decimal
    ceus: Decimal | None = None

    @property
    def is_participation(self) -> bool:
        return self.credit_type == CreditType.PARTICIPATION


def credit_lines(certificate: Certificate) -> list[CreditLine]:
    rows = json.loads(certificate.credits_json or "[]")
    return [
        CreditLine(
            credit_type=r["credit_type"],
            label=r["label"],
            unit=r["unit"],
            credits=Decimal(r["credits"]),
            ceus=Decimal(r["ceus"]) if r.get("ceus") is not None else None,
        )
        for r in rows
    ]


def statements(certificate: Certificate) -> list[str]:
    return [str(s) for s in json.loads(certificate.statements_json or "[]")]


def is_withdrawn(certificate: Certificate) -> bool:
    """Every claim on it was withdrawn (corrected to 0): it confirms nothing any more."""
    return not credit_lines(certificate)


def title_of(certificate: Certificate) -> str:
    lines = credit_lines(certificate)
    if not lines:
        return WITHDRAWN_TITLE
    if all(line.is_participation for line in lines):
        return PARTICIPATION_TITLE
    return CREDIT_TITLE


def _credits_json(claims: Sequence[CreditClaim]) -> str:
    order = {str(t): i for i, t in enumerate(RULES)}
    rows = []
    for claim in sorted(claims, key=lambda c: order.get(c.credit_type, len(order))):
        rule = RULES[CreditType(claim.credit_type)]
        rows.append(
            {
                "credit_type": claim.credit_type,
                "label": rule.label,
                "unit": rule.unit,
                "credits": format(rule.quantize(claim.credits), "f"),
                "ceus": None if claim.ceus is None else format(claim.ceus, "f"),
            }
        )
    return json.dumps(rows, ensure_ascii=False)


def activity_dates(activity: Activity) -> str:
    """A live session's date and hours in its own zone; an on-demand activity has none."""
    starts = activity.live_started_at or activity.starts_at
    ends = activity.live_ended_at or activity.ends_at
    if not activity.is_live or starts is None or ends is None:
        return "On demand"
    zone = ZoneInfo(activity.timezone or "UTC")
    start, end = starts.astimezone(zone), ends.astimezone(zone)
    if start.date() == end.date():
        return f"{_day(start)}, {_time(start)} to {_time(end)} {end.strftime('%Z')}"
    return f"{_day(start)}, {_time(start)} to {_day(end)}, {_time(end)} {end.strftime('%Z')}"


def _day(moment: datetime | date) -> str:
    return f"{moment.strftime('%B')} {moment.day}, {moment.year}"


def _time(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def long_date(day: date) -> str:
    """December 3, 2026."""
    return _day(day)


# -- what the public page shows ----------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    """Only what confirms a certificate: no email, no ids, nothing else about the learner."""

    code: str
    title: str
    learner_name: str
    activity_title: str
    completed_on: date
    credits: tuple[CreditLine, ...]
    issued_on: date
    first_issued_on: date
    reissued: bool
    withdrawn: bool


# -- the service ---------------------------------------------------------------------------------
class CertificateService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.accreditation = AccreditationService(session, clock)

    # reading
    async def by_code(self, code: str) -> Certificate | None:
        """The newest row of a code (``code`` as typed), or None."""
        printed = normalize_code(code)
        if printed is None:
            return None
        stmt = (
            select(Certificate)
            .where(col(Certificate.code) == printed)
            .order_by(col(Certificate.id).desc())
        )
        return (await self.session.exec(stmt)).first()

    async def history(self, code: str) -> list[Certificate]:
        """Every row of a code, oldest first."""
        printed = normalize_code(code) or ""
        stmt = (
            select(Certificate)
            .where(col(Certificate.code) == printed)
            .order_by(col(Certificate.id))
        )
        return list((await self.session.exec(stmt)).all())

    async def current(self, user_id: int, activity_id: int) -> Certificate | None:
        """The learner's certificate for the activity, newest version."""
        stmt = (
            select(Certificate)
            .where(Certificate.user_id == user_id, Certificate.activity_id == activity_id)
            .order_by(col(Certificate.id).desc())
        )
        return (await self.session.exec(stmt)).first()

    async def of_learner(self, user_id: int) -> list[Certificate]:
        """The newest version of each of the learner's certificates, by completion date."""
        newest = not_superseded(Certificate)
        stmt = (
            select(Certificate)
            .where(Certificate.user_id == user_id, newest)
            .order_by(col(Certificate.completed_on), col(Certificate.id))
        )
        return list((await self.session.exec(stmt)).all())

    async def verify(self, code: str) -> Verification | None:
        history = await self.history(code)
        if not history:
            return None
        newest, first = history[-1], history[0]
        return Verification(
            code=newest.code,
            title=title_of(newest),
            learner_name=newest.learner_name,
            activity_title=newest.activity_title,
            completed_on=newest.completed_on,
            credits=tuple(credit_lines(newest)),
            issued_on=newest.issued_at.date(),
            first_issued_on=first.issued_at.date(),
            reissued=len(history) > 1,
            withdrawn=is_withdrawn(newest),
        )

    async def viewable(self, code: str, viewer: User) -> Certificate:
        """The newest row of a code, for the learner it belongs to, the course's faculty and
        administrators; anyone else is told there is no such certificate."""
        certificate = await self.by_code(code)
        if certificate is None or not await self.may_see(certificate, viewer):
            raise CertificateNotFound("There is no certificate with this code that you may open.")
        if is_withdrawn(certificate):
            raise CertificateNotFound(
                "This certificate was withdrawn: every credit claim on it was withdrawn by the "
                "CME office, so there is nothing to print."
            )
        return certificate

    async def may_see(self, certificate: Certificate, viewer: User) -> bool:
        if viewer.id == certificate.user_id or permissions.is_admin(viewer):
            return True
        activity = await self.session.get(Activity, certificate.activity_id)
        if activity is None:
            return False
        faculty = await self.session.exec(
            select(CourseFaculty.user_id).where(CourseFaculty.course_id == activity.course_id)
        )
        return permissions.teaches(viewer, set(faculty.all()))

    # writing
    async def issue(
        self, activity: Activity, user: User, claims: Sequence[CreditClaim]
    ) -> Certificate:
        """A new certificate, with a new code, for the learner's current claims."""
        if not claims:
            raise InvalidInput({"credit": "A certificate needs at least one credit claim."})
        course = await self.session.get(Course, activity.course_id)
        provider = await self.accreditation.provider()
        now = self.clock.now()
        certificate = Certificate(
            code=await self._unused_code(),
            user_id=user.id or 0,
            activity_id=activity.id or 0,
            learner_name=user.display_name,
            activity_title=activity.title,
            course_title=course.title if course is not None else "",
            activity_format=format_label(activity),
            activity_dates=activity_dates(activity),
            completed_on=claims[0].completed_on,
            location=activity.location,
            credits_json=_credits_json(claims),
            statements_json=json.dumps(
                await self._statements(activity, provider.name, claims), ensure_ascii=False
            ),
            provider_name=provider.name,
            issued_at=now,
        )
        self.session.add(certificate)
        await self.session.flush()
        log.info(
            "certificate.issued",
            certificate_id=certificate.id,
            code=certificate.code,
            user_id=user.id,
            activity_id=activity.id,
        )
        return certificate

    async def reissue(self, certificate: Certificate, actor: User, reason: str) -> Certificate:
        """A new version under the same code: the learner's current profile name and current
        claims. The learner may reissue their own; administrators anyone's (with a reason).
        Refused when nothing printed would change."""
        newest = await self.by_code(certificate.code)
        assert newest is not None
        is_owner = actor.id == newest.user_id
        if not (is_owner or permissions.is_admin(actor)):
            raise CertificateNotFound("There is no certificate with this code that you may open.")
        reason = reason.strip()
        if not reason:
            if not is_owner:
                raise InvalidInput(
                    {"reason": "Say why you reissue it: the reason is kept with the record."}
                )
            reason = "Reissued by the learner with the name on their profile"
        if len(reason) > MAX_REASON:
            raise InvalidInput({"reason": f"Keep the reason under {MAX_REASON} characters."})
        if is_withdrawn(newest):
            raise InvalidInput(
                {"certificate": "This certificate was withdrawn: there is nothing to reissue."}
            )
        learner = await self.session.get(User, newest.user_id)
        activity = await self.session.get(Activity, newest.activity_id)
        assert learner is not None and activity is not None
        claims = credited(await current_claims_of(self.session, newest.user_id, newest.activity_id))
        credits = _credits_json(claims)
        if learner.display_name == newest.learner_name and credits == newest.credits_json:
            whose = "your profile" if is_owner else "the learner's profile"
            message = (
                "Nothing printed on this certificate has changed: it already shows the name "
                f"on {whose}, “{newest.learner_name}”, and the credits claimed. Correct the "
                "name on the profile first, then reissue it."
            )
            raise InvalidInput({"certificate": message})
        return await self._new_version(newest, activity, learner, claims, actor, reason)

    async def refresh(
        self,
        activity: Activity,
        learner: User,
        claims: Sequence[CreditClaim],
        actor: User,
        reason: str,
    ) -> Certificate | None:
        """After a claim or a correction: issue the first certificate, or a new version of
        the existing one under the same code (without credit, when every claim on it was
        withdrawn)."""
        claims = credited(claims)
        existing = await self.current(learner.id or 0, activity.id or 0)
        if existing is None:
            return await self.issue(activity, learner, claims) if claims else None
        return await self._new_version(existing, activity, learner, claims, actor, reason)

    async def _new_version(
        self,
        previous: Certificate,
        activity: Activity,
        learner: User,
        claims: Sequence[CreditClaim],
        actor: User,
        reason: str,
    ) -> Certificate:
        credits = _credits_json(claims)
        same_types = {line.credit_type for line in credit_lines(previous)} == {
            c.credit_type for c in claims
        }
        printed_statements = (
            previous.statements_json
            if same_types
            else json.dumps(
                await self._statements(activity, previous.provider_name, claims), ensure_ascii=False
            )
        )
        row = Certificate(
            code=previous.code,
            user_id=previous.user_id,
            activity_id=previous.activity_id,
            learner_name=learner.display_name,
            activity_title=previous.activity_title,
            course_title=previous.course_title,
            activity_format=previous.activity_format,
            activity_dates=previous.activity_dates,
            completed_on=previous.completed_on,
            location=previous.location,
            credits_json=credits,
            statements_json=printed_statements,
            provider_name=previous.provider_name,
            issued_at=self.clock.now(),
            supersedes_id=previous.id,
            actor_id=actor.id,
            reason=reason,
        )
        self.session.add(row)
        await self.session.flush()
        log.info(
            "certificate.reissued",
            certificate_id=row.id,
            code=row.code,
            supersedes_id=previous.id,
            actor_id=actor.id,
            user_id=row.user_id,
        )
        return row

    async def _statements(
        self, activity: Activity, provider_name: str, claims: Sequence[CreditClaim]
    ) -> list[str]:
        """The accreditation statement of each type claimed, then its designation statement;
        identical accreditation statements (Joint Accreditation) once. A certificate of
        participation says what the activity was designated for, as the AMA asks of
        certificates given to non-physicians."""
        accreditation = await self.accreditation.statements()
        designations = {
            d.credit_type: d for d in await self.accreditation.designations(activity.id or 0)
        }
        claimed = {c.credit_type for c in claims}
        printed: list[str] = []
        fmt = format_label(activity)
        for credit_type in RULES:
            if credit_type not in claimed or credit_type == CreditType.PARTICIPATION:
                continue
            text = accreditation.get(credit_type, "").strip()
            if text and text not in printed:
                printed.append(text)
            designation = designations.get(credit_type)
            if designation is not None:
                statement = designation_statement(
                    credit_type, provider_name, fmt, designation.maximum, uan=designation.uan
                )
                if statement:
                    printed.append(statement)
        if claimed == {CreditType.PARTICIPATION}:
            for credit_type, rule in RULES.items():
                designation = designations.get(credit_type)
                if designation is not None:
                    shown = rule.quantize(designation.maximum)
                    printed.append(f"This activity was designated for {shown} {rule.unit}.")
        return printed

    async def _unused_code(self) -> str:
        while True:
            code = new_code()
            taken = await self.session.exec(
                select(Certificate.id).where(col(Certificate.code) == code).limit(1)
            )
            if taken.first() is None:
                return code


def credited(claims: Sequence[CreditClaim]) -> list[CreditClaim]:
    """The claims a certificate prints: those not withdrawn (corrected to 0)."""
    return [c for c in claims if c.credits > 0]


def not_superseded(model: type[Certificate] | type[CreditClaim]) -> ColumnElement[bool]:
    """Rows no other row supersedes: the current version of each record."""
    newer = select(model.supersedes_id).where(col(model.supersedes_id).is_not(None))
    return col(model.id).not_in(newer)


async def current_claims_of(
    session: AsyncSession, user_id: int, activity_id: int
) -> list[CreditClaim]:
    stmt = (
        select(CreditClaim)
        .where(
            CreditClaim.user_id == user_id,
            CreditClaim.activity_id == activity_id,
            not_superseded(CreditClaim),
        )
        .order_by(col(CreditClaim.id))
    )
    return list((await session.exec(stmt)).all())
