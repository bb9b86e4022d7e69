"""Claiming credit: the learner claims, per credit type, up to what they earned; the CME
office corrects a claim with a reason. Both issue the certificate (``courses.certificates``).

A claim is refused, with a message per field, when the evaluation is not submitted (an
activity without an evaluation may be claimed at once), while anything else blocks it (the
session has not ended, the recording is not watched, the post-test not passed), for a type
the learner did not earn, above what was earned, off the rule's step, at or below zero,
malformed, or claimed already.

Claims are permanent records (``courses.immutable``): a correction is a new row whose
``supersedes_id`` names the claim it replaces; ``current_claims`` returns the rows nothing
supersedes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

import courses.immutable  # noqa: F401  (claims and certificates are permanent records)
from courses import permissions
from courses.certificates import CertificateService, not_superseded
from courses.clock import Clock
from courses.credit import CreditService, EarnedCredit
from courses.credit_rules import RULES, CreditRule, CreditType
from courses.errors import InvalidInput, NotFound, PermissionDenied
from courses.models import Activity, Certificate, Course, CreditClaim, User

log = structlog.get_logger(__name__)

MAX_AMOUNT_TEXT = 12
MAX_REASON = 500


class ClaimNotFound(NotFound):
    code = "claim_not_found"


@dataclass(frozen=True)
class Correction:
    """What the CME office sees when correcting a claim."""

    claim: CreditClaim
    history: list[CreditClaim]
    """The chain the claim belongs to, first claim first."""
    newer: CreditClaim | None
    """The correction that superseded this claim, if one did."""
    learner: User
    activity: Activity
    course_title: str
    rule: CreditRule
    maximum: Decimal
    actors: dict[int, str]
    """Who made each correction: user id to name."""


@dataclass(frozen=True)
class ClaimResult:
    claims: list[CreditClaim]
    """Every current claim of the learner for the activity, the new ones included."""
    certificate: Certificate


def parse_amount(text: object, rule: CreditRule, *, withdrawal: bool = False) -> Decimal | str:
    """The credits a person typed, or what is wrong with them (a sentence). ``withdrawal``:
    0 is accepted (a correction to 0 withdraws a claim)."""
    raw = str(text if text is not None else "").strip()
    shown = raw[:MAX_AMOUNT_TEXT]
    if len(raw) > MAX_AMOUNT_TEXT:
        return f"“{shown}…” is not a number of credits; write it like 1.25."
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        return f"“{shown}” is not a number of credits; write it like 1.25."
    if not amount.is_finite() or "e" in raw.lower():
        return f"“{shown}” is not a number of credits; write it like 1.25."
    if withdrawal and amount < 0:
        return "Credits cannot be negative; enter 0 to withdraw the claim."
    if not withdrawal and amount <= 0:
        return f"Claim more than 0 {rule.unit}, or leave the field empty to claim none."
    if not rule.is_multiple_of_step(amount):
        example = rule.quantize(rule.step * 3)
        return f"Claim in steps of {rule.step} {rule.unit} (for example {example})."
    return amount


class ClaimService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.credit = CreditService(session, clock)
        self.certificates = CertificateService(session, clock)

    # -- reading ---------------------------------------------------------------------------
    async def current_claims(
        self,
        user_id: int | None = None,
        activity_id: int | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[CreditClaim]:
        """Claims no correction has superseded, by completion date; ``since`` and ``until``
        (inclusive) bound the completion date."""
        stmt = select(CreditClaim).where(not_superseded(CreditClaim))
        if user_id is not None:
            stmt = stmt.where(CreditClaim.user_id == user_id)
        if activity_id is not None:
            stmt = stmt.where(CreditClaim.activity_id == activity_id)
        if since is not None:
            stmt = stmt.where(col(CreditClaim.completed_on) >= _day(since))
        if until is not None:
            stmt = stmt.where(col(CreditClaim.completed_on) <= _day(until))
        stmt = stmt.order_by(
            col(CreditClaim.completed_on), col(CreditClaim.activity_id), col(CreditClaim.id)
        )
        return list((await self.session.exec(stmt)).all())

    async def claim_record(self, claim_id: int) -> CreditClaim:
        claim = await self.session.get(CreditClaim, claim_id)
        if claim is None:
            raise ClaimNotFound(f"There is no credit claim with id {claim_id}.")
        return claim

    async def history(self, claim: CreditClaim) -> list[CreditClaim]:
        """The chain a claim belongs to, first claim first, corrections after."""
        stmt = (
            select(CreditClaim)
            .where(
                CreditClaim.user_id == claim.user_id,
                CreditClaim.activity_id == claim.activity_id,
                CreditClaim.credit_type == claim.credit_type,
            )
            .order_by(col(CreditClaim.id))
        )
        return list((await self.session.exec(stmt)).all())

    async def correction(self, claim_id: int, actor: User) -> Correction:
        """A claim with its history, for the administrators' correction page."""
        if not permissions.is_admin(actor):
            raise PermissionDenied("Only administrators may correct a credit claim.")
        claim = await self.claim_record(claim_id)
        history = await self.history(claim)
        newer = next((c for c in history if c.supersedes_id == claim.id), None)
        learner = await self.session.get(User, claim.user_id)
        activity = await self.session.get(Activity, claim.activity_id)
        assert learner is not None and activity is not None
        course = await self.session.get(Course, activity.course_id)
        actor_ids = {c.actor_id for c in history if c.actor_id is not None}
        actors = {}
        if actor_ids:
            found = await self.session.exec(select(User).where(col(User.id).in_(actor_ids)))
            actors = {u.id: u.display_name for u in found.all() if u.id is not None}
        return Correction(
            claim=claim,
            history=history,
            newer=newer,
            learner=learner,
            activity=activity,
            course_title=course.title if course is not None else "",
            rule=RULES[CreditType(claim.credit_type)],
            maximum=await self.credit.maximum(activity, claim.credit_type, claim.user_id),
            actors=actors,
        )

    # -- claiming --------------------------------------------------------------------------
    async def claim(
        self, activity_id: int, user: User, amounts: Mapping[str, object]
    ) -> ClaimResult:
        """Claim, per credit type, up to what ``user`` earned; ``amounts`` maps a credit type
        to the credits as typed ("" or missing: not claimed). Issues the certificate, or a
        new version of it when the learner had claimed another type before."""
        await self._serialise(user)
        earned = await self.credit.earned(activity_id, user)
        already = {c.credit_type: c for c in await self.current_claims(user.id, activity_id)}
        errors, wanted = self._check(earned, amounts, already)
        if errors:
            raise InvalidInput(errors)
        assert earned.completed_on is not None
        now = self.clock.now()
        made: list[CreditClaim] = []
        for credit_type, amount in wanted.items():
            rule = RULES[CreditType(credit_type)]
            award = earned.award_for(credit_type)
            assert award is not None
            made.append(
                CreditClaim(
                    user_id=user.id or 0,
                    activity_id=activity_id,
                    credit_type=credit_type,
                    credits=rule.quantize(amount),
                    ceus=_ceus(rule, amount),
                    earned=award.credits,
                    basis=award.reason,
                    completed_on=earned.completed_on,
                    claimed_at=now,
                )
            )
        self.session.add_all(made)
        await self.session.flush()
        claims = await self.current_claims(user.id, activity_id)
        certificate = await self.certificates.refresh(
            earned.activity,
            user,
            claims,
            user,
            "Credit claimed: " + ", ".join(f"{c.credits} {c.credit_type}" for c in made),
        )
        assert certificate is not None  # the claims just made carry credit
        for row in made:
            log.info(
                "credit.claimed",
                user_id=user.id,
                activity_id=activity_id,
                credit_type=row.credit_type,
                credits=str(row.credits),
                earned=str(row.earned),
                claim_id=row.id,
                certificate_code=certificate.code,
            )
        return ClaimResult(claims=claims, certificate=certificate)

    def _check(
        self,
        earned: EarnedCredit,
        amounts: Mapping[str, object],
        already: Mapping[str, CreditClaim],
    ) -> tuple[dict[str, str], dict[str, Decimal]]:
        """The errors per field, and the amounts that passed."""
        errors: dict[str, str] = {}
        wanted: dict[str, Decimal] = {}
        given = {str(k): v for k, v in amounts.items() if str(v if v is not None else "").strip()}
        if earned.evaluation is not None and not earned.evaluation_submitted:
            errors["evaluation"] = (
                "Submit the evaluation first: credit is claimed after evaluating the activity."
            )
        others = [b for b in earned.blockers if b != "Submit the evaluation first"]
        if others:
            errors["credit"] = "You cannot claim credit yet: " + "; ".join(others) + "."
        if not given and not errors:
            errors["credit"] = "Enter the credits you claim for at least one credit type."
        for credit_type, text in given.items():
            try:
                rule = RULES[CreditType(credit_type)]
            except ValueError:
                errors[credit_type[:40]] = f"There is no credit type “{credit_type[:40]}”."
                continue
            award = earned.award_for(credit_type)
            if award is None or award.credits <= 0:
                errors[credit_type] = f"You did not earn {rule.label} for this activity" + (
                    f" ({award.reason})." if award else "."
                )
                continue
            previous = already.get(credit_type)
            if previous is not None and previous.credits == 0:
                errors[credit_type] = (
                    f"The CME office withdrew your claim of {rule.label} for this activity on "
                    f"{previous.claimed_at.date().isoformat()}; ask them if this is wrong."
                )
                continue
            if previous is not None:
                errors[credit_type] = (
                    f"You already claimed {previous.credits} {rule.unit} for this activity "
                    f"on {previous.claimed_at.date().isoformat()}; ask the CME office to "
                    "correct a claim."
                )
                continue
            amount = parse_amount(text, rule)
            if isinstance(amount, str):
                errors[credit_type] = amount
            elif amount > award.credits:
                errors[credit_type] = f"You earned {award.credits} {rule.unit}; claim at most that."
            else:
                wanted[credit_type] = amount
        return errors, wanted

    async def _serialise(self, user: User) -> None:
        """Take the learner's row lock first, so that two claims at once (a double-click)
        are checked one after the other: the row lock on PostgreSQL, the database's write
        lock on SQLite. A write that changes nothing."""
        await self.session.exec(
            update(User)
            .where(col(User.id) == user.id)
            .values(is_active=User.is_active)
            .execution_options(synchronize_session=False)
        )

    # -- correcting ------------------------------------------------------------------------
    async def correct(
        self, claim_id: int, credits: object, reason: object, actor: User
    ) -> CreditClaim:
        """A corrected claim (administrators only, with a reason): a new row superseding the
        current one, never above the designated maximum; 0 withdraws the claim. The
        certificate is reissued (withdrawn, when no credit is left on it)."""
        if not permissions.is_admin(actor):
            raise PermissionDenied("Only administrators may correct a credit claim.")
        claim = await self.claim_record(claim_id)
        newer = (
            await self.session.exec(
                select(CreditClaim).where(CreditClaim.supersedes_id == claim.id)
            )
        ).first()
        if newer is not None:
            raise InvalidInput(
                {
                    "claim": (
                        f"This claim was corrected already; correct the current one "
                        f"(claim {newer.id})."
                    )
                }
            )
        activity = await self.session.get(Activity, claim.activity_id)
        learner = await self.session.get(User, claim.user_id)
        assert activity is not None and learner is not None
        rule = RULES[CreditType(claim.credit_type)]
        errors: dict[str, str] = {}
        amount = parse_amount(credits, rule, withdrawal=True)
        if isinstance(amount, str):
            errors["credits"] = amount
        else:
            maximum = await self.credit.maximum(activity, claim.credit_type, claim.user_id)
            if amount > maximum:
                errors["credits"] = (
                    f"The activity was designated for at most {maximum} "
                    f"{rule.unit}; a claim cannot exceed it."
                )
            elif amount == claim.credits:
                errors["credits"] = (
                    f"The claim already says {claim.credits} {rule.unit}; "
                    "enter the corrected amount."
                )
        why = str(reason if reason is not None else "").strip()
        if not why:
            errors["reason"] = "Say why: the reason is kept with the record."
        elif len(why) > MAX_REASON:
            errors["reason"] = f"Keep the reason under {MAX_REASON} characters."
        if errors:
            raise InvalidInput(errors)
        assert isinstance(amount, Decimal)
        row = CreditClaim(
            user_id=claim.user_id,
            activity_id=claim.activity_id,
            credit_type=claim.credit_type,
            credits=rule.quantize(amount),
            ceus=_ceus(rule, amount),
            earned=claim.earned,
            basis=claim.basis,
            completed_on=claim.completed_on,
            claimed_at=self.clock.now(),
            supersedes_id=claim.id,
            actor_id=actor.id,
            reason=why,
        )
        self.session.add(row)
        await self.session.flush()
        claims = await self.current_claims(claim.user_id, claim.activity_id)
        verb = "withdrawn" if row.credits == 0 else "corrected"
        certificate = await self.certificates.refresh(
            activity, learner, claims, actor, f"Claim {verb}: {why}"
        )
        log.info(
            "credit.corrected",
            claim_id=row.id,
            supersedes_id=claim.id,
            user_id=claim.user_id,
            activity_id=claim.activity_id,
            credit_type=claim.credit_type,
            credits=str(row.credits),
            actor_id=actor.id,
            certificate_code=certificate.code if certificate else None,
        )
        return row


def _ceus(rule: CreditRule, credits: Decimal) -> Decimal | None:
    if rule.ceus_per_credit is None:
        return None
    return rule.quantize(credits) * rule.ceus_per_credit


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def labels(claims: Sequence[CreditClaim]) -> list[tuple[CreditClaim, CreditRule]]:
    """Each claim with its rule (for labels and units), in the rules' table order."""
    order = {str(t): i for i, t in enumerate(RULES)}
    ordered = sorted(claims, key=lambda c: (order.get(c.credit_type, len(order)), c.id or 0))
    return [(c, RULES[CreditType(c.credit_type)]) for c in ordered]
