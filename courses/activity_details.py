"""An activity's accreditation details that are not designations, set by administrators:
the actual live window (a correction made after the session, when the faculty's media
connections do not tell it right; see ``courses.live_window``), the location printed on
certificates, commercial support and the competencies addressed (ACCME PARS), and the watched
percentage an on-demand activity needs for credit (locked once learners have started).
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from courses._fields import checked, require_admin, text_of, whole
from courses.accreditation import (
    COMPETENCIES,
    MAX_SUPPORTERS,
    MIN_THRESHOLD_PERCENT,
    AccreditationService,
)
from courses.clock import Clock
from courses.errors import InvalidInput
from courses.live_sessions import EARLY_ENTRY, OVERRUN_GRACE
from courses.models import Activity, User
from courses.wallclock import local_text, parse_when

log = structlog.get_logger(__name__)


class ActivityDetailsService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.accreditation = AccreditationService(session, clock)

    async def correct_live_window(
        self, activity_id: int, data: Mapping[str, object], actor: User
    ) -> Activity:
        """Set when the session really started and ended (``start``, ``end`` wall-clock in its
        zone), or clear both to take it from the faculty's connections again."""
        require_admin(actor, "correct the live window")
        activity, _ = await self.accreditation.catalog.activity(activity_id, actor)
        if not activity.is_live or activity.starts_at is None or activity.ends_at is None:
            raise InvalidInput({"start": "Only a live session has a live window."})
        zone = activity.timezone
        errors: dict[str, str] = {}
        if not text_of(data, "start") and not text_of(data, "end"):
            starts = ends = None
        else:
            starts = parse_when(data.get("start"), zone, "start", errors)
            ends = parse_when(data.get("end"), zone, "end", errors)
            opens, closes = activity.starts_at - EARLY_ENTRY, activity.ends_at + OVERRUN_GRACE
            if starts is not None and ends is not None:
                if ends <= starts:
                    errors["end"] = "The end must be after the start."
                elif starts < opens or ends > closes:
                    errors["start"] = (
                        "Stay within the hours the room was open: "
                        f"{local_text(opens, zone)} to {local_text(closes, zone)}."
                    )
                elif ends > self.clock.now():
                    errors["end"] = (
                        "The live window records what happened: its end cannot be in the future."
                    )
        if errors:
            raise InvalidInput(errors)
        activity.live_started_at, activity.live_ended_at = starts, ends
        activity.updated_at = self.clock.now()
        self.session.add(activity)
        await self.session.flush()
        log.info(
            "accreditation.live_window_corrected",
            activity_id=activity_id,
            actor_id=actor.id,
            starts_at=starts.isoformat() if starts else None,
            ends_at=ends.isoformat() if ends else None,
        )
        return activity

    async def update_details(
        self, activity_id: int, data: Mapping[str, object], actor: User
    ) -> Activity:
        """Location, commercial support and supporters, competencies (``competencies``: a list
        from ``COMPETENCIES``) and, on demand, the watched threshold."""
        require_admin(actor, "change the accreditation details")
        activity, _ = await self.accreditation.catalog.activity(activity_id, actor)
        errors: dict[str, str] = {}
        location = text_of(data, "location")
        if len(location) > 200:
            errors["location"] = "Keep the location under 200 characters."
        support = checked(data, "commercial_support")
        supporters = "\n".join(
            line.strip()
            for line in text_of(data, "commercial_supporters").splitlines()
            if line.strip()
        )
        if len(supporters) > MAX_SUPPORTERS:
            errors["commercial_supporters"] = f"Keep it under {MAX_SUPPORTERS} characters."
        elif support and not supporters:
            errors["commercial_supporters"] = "Name each commercial supporter, one a line."
        elif supporters and not support:
            errors["commercial_supporters"] = (
                "Tick “received commercial support”, or clear the supporters."
            )
        raw = data.get("competencies", [])
        chosen = {str(c).strip() for c in (raw if isinstance(raw, list) else [raw]) if c}
        unknown = chosen - set(COMPETENCIES)
        if unknown:
            errors["competencies"] = "Choose competencies from the list."
        threshold = await self._threshold(
            activity, text_of(data, "credit_threshold_percent"), errors
        )
        if errors:
            raise InvalidInput(errors)
        activity.location, activity.commercial_support = location, support
        activity.commercial_supporters = supporters
        activity.competencies = ",".join(c for c in COMPETENCIES if c in chosen)
        activity.credit_threshold_percent = threshold
        activity.updated_at = self.clock.now()
        self.session.add(activity)
        await self.session.flush()
        log.info("accreditation.details_updated", activity_id=activity_id, actor_id=actor.id)
        return activity

    async def _threshold(self, activity: Activity, text: str, errors: dict[str, str]) -> int | None:
        name = "credit_threshold_percent"
        if activity.is_live:
            if text:
                errors[name] = "Only on-demand activities have a watched threshold."
            return None
        value = whole(text, name, errors, MIN_THRESHOLD_PERCENT, 100) if text else None
        if name in errors:
            return None
        if value != activity.credit_threshold_percent and await self.accreditation.is_locked(
            activity
        ):
            errors[name] = (
                "Learners have started this activity: the watched threshold they were shown stays."
            )
        return value
