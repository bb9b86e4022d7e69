"""Disclosures of everyone in control of an activity's content, and what learners are shown
before the activity starts (ACCME Standards for Integrity and Independence, Standard 5).

Each person in control of content (faculty, planners, reviewers, moderators) discloses their
financial relationships with ineligible companies; "" means none. A relationship needs its
mitigation written down before the activity. The course's faculty and administrators keep the
list; it locks when the activity starts, like the designations (``courses.accreditation``),
because learners must have been shown it beforehand.

The learner-facing summary (``DisclosureService.for_learners``) holds the faculty, one line per
disclosure, the commercial support statement, and the accreditation and designation
statements of each designated credit type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import credit_rules
from courses._fields import text_of
from courses.accreditation import AccreditationLocked, AccreditationService
from courses.catalog import CourseView
from courses.clock import Clock
from courses.errors import InvalidInput
from courses.models import Activity, Disclosure, User

log = structlog.get_logger(__name__)

ROLES = ("faculty", "planner", "reviewer", "moderator")
MAX_TEXT = 2000


def disclosure_line(row: Disclosure) -> str:
    """One disclosure as learners read it."""
    who = f"{row.name} ({row.role})"
    if not row.relationships.strip():
        return f"{who} has no relevant financial relationships with ineligible companies."
    line = f"{who}: {_sentence(row.relationships)}"
    if row.mitigation.strip():
        line += f" Mitigated: {_sentence(row.mitigation)}"
    return line


def commercial_support_statement(activity: Activity) -> str:
    supporters = [s.strip() for s in activity.commercial_supporters.splitlines() if s.strip()]
    if not activity.commercial_support or not supporters:
        return "This activity received no commercial support."
    return f"This activity received commercial support from {'; '.join(supporters)}."


def _sentence(text: str) -> str:
    """``text`` on one line, ending with a full stop."""
    flat = " ".join(text.split())
    return flat if flat.endswith((".", "!", "?")) else f"{flat}."


@dataclass(frozen=True)
class LearnerAccreditation:
    """What learners are shown about an activity's accreditation before it starts."""

    faculty: list[str] = field(default_factory=list)
    disclosures: list[str] = field(default_factory=list)
    commercial_support: str = ""
    accreditation_statements: list[str] = field(default_factory=list)
    designation_statements: list[str] = field(default_factory=list)


class DisclosureService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.accreditation = AccreditationService(session, clock)

    async def for_learners(self, activity: Activity, view: CourseView) -> LearnerAccreditation:
        """The section shown on the activity's page (no permission check: the caller has
        already shown the activity to this viewer)."""
        org = await self.accreditation.provider()
        statements = await self.accreditation.statements()
        accreditation: list[str] = []
        designation: list[str] = []
        for row in await self.accreditation.designations(activity.id or 0):
            text = statements.get(row.credit_type, "")
            if text and text not in accreditation:
                accreditation.append(text)
            designation.append(
                credit_rules.designation_statement(
                    row.credit_type, org.name, activity.kind, row.maximum, uan=row.uan
                )
            )
        return LearnerAccreditation(
            faculty=[u.display_name for u in view.faculty],
            disclosures=[
                disclosure_line(d) for d in await self.accreditation.disclosures(activity.id or 0)
            ],
            commercial_support=commercial_support_statement(activity),
            accreditation_statements=accreditation,
            designation_statements=[d for d in designation if d],
        )

    async def add(self, activity_id: int, data: Mapping[str, object], actor: User) -> Disclosure:
        """``name`` (or ``user_id`` of a person, whose name is taken), ``role``,
        ``relationships`` ("" for none) and ``mitigation`` (required with relationships)."""
        activity = await self._unlocked(activity_id, actor, "add a disclosure")
        errors: dict[str, str] = {}
        name = text_of(data, "name")
        raw_user = text_of(data, "user_id")
        user: User | None = None
        if raw_user:
            valid = raw_user.isascii() and raw_user.isdigit() and len(raw_user) <= 9
            user = await self.session.get(User, int(raw_user)) if valid else None
            if user is None:
                errors["user_id"] = "Choose a person from the list, or leave it and type a name."
            elif not name:
                name = user.display_name
        if not name and "user_id" not in errors:
            errors["name"] = "Give the person's name as learners should read it."
        elif len(name) > 120:
            errors["name"] = "Keep the name under 120 characters."
        role = text_of(data, "role")
        if role not in ROLES:
            errors["role"] = f"Choose their role: {', '.join(ROLES)}."
        relationships = text_of(data, "relationships")
        mitigation = text_of(data, "mitigation")
        for key, value in (("relationships", relationships), ("mitigation", mitigation)):
            if len(value) > MAX_TEXT:
                errors[key] = f"Keep it under {MAX_TEXT} characters."
        if relationships and not mitigation and "mitigation" not in errors:
            errors["mitigation"] = (
                "Say how the relationships were mitigated (for example, content reviewed by "
                "an independent planner); it is shown to learners."
            )
        if errors:
            raise InvalidInput(errors)
        now = self.clock.now()
        row = Disclosure(
            activity_id=activity.id or 0,
            user_id=user.id if user else None,
            name=name,
            role=role,
            relationships=relationships,
            mitigation=mitigation if relationships else "",
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        log.info(
            "accreditation.disclosure_added",
            activity_id=activity_id,
            disclosure_id=row.id,
            actor_id=actor.id,
            has_relationships=bool(relationships),
        )
        return row

    async def remove(self, activity_id: int, disclosure_id: int, actor: User) -> bool:
        """False when the activity has no such disclosure (removed already)."""
        await self._unlocked(activity_id, actor, "remove a disclosure")
        row = await self.session.get(Disclosure, disclosure_id)
        if row is None or row.activity_id != activity_id:
            return False
        await self.session.delete(row)
        await self.session.flush()
        log.info(
            "accreditation.disclosure_removed",
            activity_id=activity_id,
            disclosure_id=disclosure_id,
            actor_id=actor.id,
        )
        return True

    async def _unlocked(self, activity_id: int, actor: User, doing: str) -> Activity:
        activity, _ = await self.accreditation.managed(activity_id, actor)
        if await self.accreditation.is_locked(activity):
            raise AccreditationLocked(
                "This activity has started, so its disclosures are locked: learners were shown "
                f"them before it began. You cannot {doing} now."
            )
        return activity
