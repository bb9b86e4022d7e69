"""Designating an activity for credit, and the breaks inside a live session: administrators
only, and only before the activity starts (the rules and the lock: ``courses.accreditation``).

A designation's maximum is in its rule's unit and step (``courses.credit_rules.RULES``), above
0 and at most the activity's instructional time in credits, rounded up to a whole step: the
scheduled minutes less the breaks (live), or the item's length (on demand). So a break that
would leave a designation above what the session can give is refused until the designation is
lowered. ACPE designations carry the activity's UAN (``courses.uan.validate_uan``), checked
against the provider's ACPE number and the activity's format. PARTICIPATION is never
designated: a certificate of participation is always available.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

import structlog
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses._fields import minutes_text, require_admin, text_of, whole
from courses.accreditation import (
    FULL_ATTENDANCE_CHOICES,
    AccreditationLocked,
    AccreditationService,
    designation_limit,
    instructional_minutes,
)
from courses.clock import Clock
from courses.credit_rules import RULES, CreditRule, CreditType
from courses.errors import InvalidInput
from courses.models import Activity, ActivityBreak, CreditDesignation, User
from courses.uan import validate_uan
from courses.wallclock import local_text, parse_when

log = structlog.get_logger(__name__)

_PLAIN_NUMBER = re.compile(r"\d{1,4}(?:\.\d{1,4})?|\.\d{1,4}")


class DesignationService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.accreditation = AccreditationService(session, clock)

    async def designate(
        self, activity_id: int, data: Mapping[str, object], actor: User
    ) -> CreditDesignation:
        """Add a designation, or change the one of the same credit type."""
        activity = await self._unlocked(activity_id, actor, "designate credit")
        errors: dict[str, str] = {}
        raw_type = text_of(data, "credit_type")
        rule: CreditRule | None = None
        if raw_type == CreditType.PARTICIPATION:
            errors["credit_type"] = (
                "A certificate of participation is always available to everyone; it is not "
                "designated."
            )
        elif raw_type not in {t.value for t in RULES}:
            errors["credit_type"] = "Choose the credit type to designate."
        else:
            rule = RULES[CreditType(raw_type)]
        breaks = await self.accreditation.breaks(activity_id)
        minutes = instructional_minutes(activity, breaks)
        maximum = self._maximum(text_of(data, "maximum"), rule, minutes, errors)
        full = text_of(data, "full_attendance")
        if full not in FULL_ATTENDANCE_CHOICES:
            errors["full_attendance"] = "Choose the rule's default, required or not required."
        tolerance = 0
        if text_of(data, "tolerance_minutes"):
            limit = int(minutes) if minutes is not None else 1440
            found = whole(text_of(data, "tolerance_minutes"), "tolerance_minutes", errors, 0, limit)
            tolerance = found or 0
        uan = text_of(data, "uan")
        if rule is not None and rule.credit_type == CreditType.ACPE:
            org = await self.accreditation.provider()
            try:
                uan = validate_uan(
                    uan, provider_number=org.acpe_provider_number, activity_kind=activity.kind
                )
            except InvalidInput as exc:
                errors.update(exc.errors)
        elif uan:
            errors["uan"] = "Only ACPE (pharmacy) designations carry a UAN; clear it."
        if errors:
            raise InvalidInput(errors)
        assert rule is not None and maximum is not None
        now = self.clock.now()
        row = (
            await self.session.exec(
                select(CreditDesignation).where(
                    CreditDesignation.activity_id == activity_id,
                    CreditDesignation.credit_type == rule.credit_type,
                )
            )
        ).first() or CreditDesignation(
            activity_id=activity_id,
            credit_type=rule.credit_type,
            maximum=maximum,
            created_at=now,
            updated_at=now,
        )
        row.maximum, row.full_attendance = maximum, FULL_ATTENDANCE_CHOICES[full]
        row.tolerance_minutes, row.uan, row.updated_at = tolerance, uan, now
        self.session.add(row)
        await self.session.flush()
        log.info(
            "accreditation.designated",
            activity_id=activity_id,
            credit_type=row.credit_type,
            maximum=str(maximum),
            actor_id=actor.id,
        )
        return row

    async def undesignate(self, activity_id: int, credit_type: str, actor: User) -> bool:
        """Remove a designation; False when there was none of that type."""
        await self._unlocked(activity_id, actor, "remove a designation")
        row = (
            await self.session.exec(
                select(CreditDesignation).where(
                    CreditDesignation.activity_id == activity_id,
                    CreditDesignation.credit_type == credit_type,
                )
            )
        ).first()
        if row is None:
            return False
        await self.session.delete(row)
        await self.session.flush()
        log.info(
            "accreditation.undesignated",
            activity_id=activity_id,
            credit_type=credit_type,
            actor_id=actor.id,
        )
        return True

    def _maximum(
        self,
        text: str,
        rule: CreditRule | None,
        minutes: Decimal | None,
        errors: dict[str, str],
    ) -> Decimal | None:
        if not _PLAIN_NUMBER.fullmatch(text):
            errors["maximum"] = "Enter the designated maximum as a number, like 1.5."
            return None
        maximum = Decimal(text)
        if maximum <= 0:
            errors["maximum"] = "The designated maximum must be above 0."
            return None
        if rule is None:
            return maximum
        if not rule.is_multiple_of_step(maximum):
            lower = rule.quantize(maximum - maximum % rule.step)
            near = f"{lower} or {lower + rule.step}" if lower > 0 else f"{lower + rule.step}"
            errors["maximum"] = (
                f"{rule.label} is designated in steps of {rule.step}; {maximum} is not one "
                f"(for example {near})."
            )
            return None
        if minutes is None:
            errors["maximum"] = (
                "Set the activity's schedule or length first: the maximum cannot exceed its "
                "instructional time."
            )
            return None
        limit = designation_limit(rule, minutes)
        if maximum > limit:
            errors["maximum"] = (
                f"At most {limit} {rule.unit}: the activity has {minutes_text(minutes)} minutes of "
                "instruction (breaks excluded)."
            )
            return None
        return rule.quantize(maximum)

    # breaks (live sessions)
    async def add_break(
        self, activity_id: int, data: Mapping[str, object], actor: User
    ) -> ActivityBreak:
        activity = await self._unlocked(activity_id, actor, "add a break")
        if not activity.is_live or activity.starts_at is None or activity.ends_at is None:
            raise InvalidInput(
                {
                    "start": "Breaks belong to live sessions; an on-demand item's length is its "
                    "instructional time."
                }
            )
        zone = activity.timezone
        errors: dict[str, str] = {}
        title = text_of(data, "title") or "Break"
        if len(title) > 120:
            errors["title"] = "Keep the title under 120 characters."
        starts = parse_when(data.get("start"), zone, "start", errors)
        ends = parse_when(data.get("end"), zone, "end", errors)
        existing = await self.accreditation.breaks(activity_id)
        if starts is not None and ends is not None:
            if ends <= starts:
                errors["end"] = "The break must end after it starts."
            elif starts < activity.starts_at or ends > activity.ends_at:
                errors["start"] = (
                    "A break lies inside the session: between "
                    f"{local_text(activity.starts_at, zone)} and "
                    f"{local_text(activity.ends_at, zone)}."
                )
            else:
                for other in existing:
                    if starts < other.ends_at and other.starts_at < ends:
                        errors["start"] = (
                            f"This overlaps the break “{other.title}” "
                            f"({local_text(other.starts_at, zone)} to "
                            f"{local_text(other.ends_at, zone)}); change or remove that one."
                        )
                        break
        if errors:
            raise InvalidInput(errors)
        assert starts is not None and ends is not None
        row = ActivityBreak(activity_id=activity_id, title=title, starts_at=starts, ends_at=ends)
        minutes = instructional_minutes(activity, [*existing, row])
        assert minutes is not None
        if minutes <= 0:
            raise InvalidInput({"start": "The breaks would leave no instructional time."})
        for designation in await self.accreditation.designations(activity_id):
            rule = RULES[CreditType(designation.credit_type)]
            if designation.maximum > designation_limit(rule, minutes):
                raise InvalidInput(
                    {
                        "start": (
                            f"With this break the session has {minutes_text(minutes)} minutes of "
                            f"instruction, too few for the {designation.maximum} {rule.unit} "
                            "designated; lower that designation first."
                        )
                    }
                )
        self.session.add(row)
        await self.session.flush()
        log.info(
            "accreditation.break_added",
            activity_id=activity_id,
            break_id=row.id,
            actor_id=actor.id,
        )
        return row

    async def remove_break(self, activity_id: int, break_id: int, actor: User) -> bool:
        """False when the activity has no such break (removed already)."""
        await self._unlocked(activity_id, actor, "remove a break")
        row = await self.session.get(ActivityBreak, break_id)
        if row is None or row.activity_id != activity_id:
            return False
        await self.session.delete(row)
        await self.session.flush()
        log.info(
            "accreditation.break_removed",
            activity_id=activity_id,
            break_id=break_id,
            actor_id=actor.id,
        )
        return True

    async def _unlocked(self, activity_id: int, actor: User, doing: str) -> Activity:
        require_admin(actor, doing)
        activity, _ = await self.accreditation.catalog.activity(activity_id, actor)
        if await self.accreditation.is_locked(activity):
            raise AccreditationLocked(
                f"This activity has started, so its designations and breaks are locked: credit "
                f"is designated in advance. You cannot {doing} now."
            )
        return activity
