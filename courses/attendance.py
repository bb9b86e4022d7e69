"""Attendance of live sessions, taken from the media connections themselves, not from clicks.

The SFU says when each participant connection came up and went away (``joined``, ``left``);
each connection is one ``AttendanceSpan``. A learner's attended time in a session is:

    (spans + additions) - removals, clipped to the live window, minus the breaks,

merged with the interval math of ``courses.watching`` so that reconnects and a second device
count overlaps once.

The live window is the session's *actual* one, decided per side (``live_window``):

1. an administrator's correction (``Activity.live_started_at`` / ``live_ended_at``);
2. else the faculty's media connections (role "host", or the course's faculty): from the
   first one that came up to the last one that went away, inside the scheduled hours;
3. else the scheduled ``[starts_at, ends_at]``.

The session's instructional time (``LearnerAttendance.session_seconds``, what credit is
measured against) is that window less the breaks (``courses.models.ActivityBreak``); the
attended ``seconds`` never exceed it.

Rules that keep a buggy client or a crash from earning a wrong credit:

- events are idempotent per participant id: a second join or leave for the same connection
  and a leave with no join are logged and ignored;
- a leave stamped before its join (clock skew) is normalised to a zero-length span;
- a span left open (the server died) ends, for the computation, at the earlier of now and the
  room's closing time (scheduled end plus the overrun grace);
- only administrators adjust, with a reason, inside the hours the room could be open; the
  adjustments are kept as an append-only audit trail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.attendance_results import (
    LearnerAttendance,
    Roster,
    attendance_csv_rows,
    attended_intervals,
    instructional_intervals,
    interval_of,
    moment_of,
    subtract,
)
from courses.catalog import CatalogService
from courses.clock import Clock
from courses.errors import ActivityNotFound, InvalidInput, PermissionDenied
from courses.live_sessions import EARLY_ENTRY, OVERRUN_GRACE
from courses.live_window import LiveWindow, live_window
from courses.models import (
    Activity,
    ActivityBreak,
    AdjustmentKind,
    AttendanceAdjustment,
    AttendanceSpan,
    CourseFaculty,
    Enrollment,
    EnrollmentStatus,
    User,
)
from courses.wallclock import local_text, parse_when
from courses.watching import total

__all__ = [
    "AttendanceService",
    "LearnerAttendance",
    "Roster",
    "attendance_csv_rows",
    "attended_intervals",
    "instructional_intervals",
    "subtract",
]

log = structlog.get_logger(__name__)

MAX_REASON = 500
HOST_ROLE = "host"


# -- the service -----------------------------------------------------------------------------
class AttendanceService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalog = CatalogService(session, clock)

    # events from the media server
    async def joined(
        self,
        *,
        activity_id: int,
        room_id: str,
        participant_id: str,
        user_id: int,
        role: str,
        at: datetime,
    ) -> AttendanceSpan | None:
        """Open a span for a participant connection; None when ignored (the same connection
        seen again, or a room of no live session)."""
        existing = await self._span(participant_id)
        if existing is not None:
            log.info(
                "attendance.duplicate_join",
                participant_id=participant_id,
                activity_id=activity_id,
                user_id=user_id,
            )
            return None
        activity = await self.session.get(Activity, activity_id)
        if activity is None or not activity.is_live:
            log.warning(
                "attendance.unknown_session",
                activity_id=activity_id,
                room_id=room_id,
                participant_id=participant_id,
            )
            return None
        if await self.session.get(User, user_id) is None:
            log.warning(
                "attendance.unknown_user",
                activity_id=activity_id,
                user_id=user_id,
                participant_id=participant_id,
            )
            return None
        span = AttendanceSpan(
            activity_id=activity_id,
            user_id=user_id,
            participant_id=participant_id,
            room_id=room_id,
            role=role[:32],
            joined_at=at,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(span)
        except IntegrityError:  # the same join, delivered twice at once
            log.info(
                "attendance.duplicate_join",
                participant_id=participant_id,
                activity_id=activity_id,
                user_id=user_id,
            )
            return None
        log.info(
            "attendance.joined",
            activity_id=activity_id,
            user_id=user_id,
            participant_id=participant_id,
            at=at.isoformat(),
        )
        return span

    async def left(
        self, *, participant_id: str, reason: str, at: datetime
    ) -> AttendanceSpan | None:
        """Close the connection's span; None when there is nothing to close (no join seen,
        or closed already)."""
        span = await self._span(participant_id)
        if span is None:
            log.warning("attendance.leave_without_join", participant_id=participant_id)
            return None
        if span.left_at is not None:
            log.info(
                "attendance.duplicate_leave",
                participant_id=participant_id,
                activity_id=span.activity_id,
            )
            return None
        if at < span.joined_at:
            log.warning(
                "attendance.leave_before_join",
                participant_id=participant_id,
                joined_at=span.joined_at.isoformat(),
                left_at=at.isoformat(),
            )
            at = span.joined_at
        span.left_at = at
        span.leave_reason = reason[:16]
        self.session.add(span)
        await self.session.flush()
        log.info(
            "attendance.left",
            activity_id=span.activity_id,
            user_id=span.user_id,
            participant_id=participant_id,
            reason=reason,
            at=at.isoformat(),
        )
        return span

    # reading
    async def learner(self, activity_id: int, user_id: int) -> LearnerAttendance:
        """One person's attendance (no permission check: for the credit rules and the
        learner's own pages)."""
        activity = await self._live(activity_id)
        user = await self.session.get(User, user_id)
        if user is None:
            raise InvalidInput({"user_id": f"There is no user {user_id}."})
        spans = await self._spans(activity_id, [user_id])
        adjustments = await self.adjustments(activity_id, user_id)
        faculty_ids = await self._faculty_ids(activity)
        window = await self.window(activity, faculty_ids)
        breaks = await self.breaks(activity_id)
        return self._attendance(
            activity,
            user,
            spans.get(user_id, []),
            adjustments,
            window=window,
            breaks=breaks,
            is_faculty=user_id in faculty_ids,
        )

    async def window(self, activity: Activity, faculty_ids: set[int] | None = None) -> LiveWindow:
        """The session's actual live window (see ``courses.live_window``)."""
        assert activity.starts_at is not None and activity.ends_at is not None
        if faculty_ids is None:
            faculty_ids = await self._faculty_ids(activity)
        stmt = select(AttendanceSpan).where(AttendanceSpan.activity_id == activity.id)
        host = or_(
            col(AttendanceSpan.role) == HOST_ROLE,
            col(AttendanceSpan.user_id).in_(faculty_ids or [0]),
        )
        open_until = self._open_until(activity)
        hosts = [
            (s.joined_at, s.left_at or max(s.joined_at, open_until))
            for s in (await self.session.exec(stmt.where(host))).all()
        ]
        return live_window(
            (activity.starts_at, activity.ends_at),
            hosts,
            started_at=activity.live_started_at,
            ended_at=activity.live_ended_at,
        )

    async def breaks(self, activity_id: int) -> list[ActivityBreak]:
        stmt = select(ActivityBreak).where(ActivityBreak.activity_id == activity_id)
        rows = await self.session.exec(stmt.order_by(col(ActivityBreak.starts_at)))
        return list(rows.all())

    async def roster(self, activity_id: int, actor: User) -> Roster:
        """Everyone who attended or was corrected, for the course's faculty and admins."""
        activity, view = await self.catalog.activity(activity_id, actor)
        if not permissions.can_manage_course(actor, view.faculty_ids):
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        activity = await self._live(activity_id)
        spans = await self._spans(activity_id, None)
        adjustments: dict[int, list[AttendanceAdjustment]] = {}
        for row in await self.adjustments(activity_id, None):
            adjustments.setdefault(row.user_id, []).append(row)
        window = await self.window(activity, view.faculty_ids)
        breaks = await self.breaks(activity_id)
        user_ids = sorted(set(spans) | set(adjustments))
        actor_ids = {a.actor_id for rows in adjustments.values() for a in rows if a.actor_id}
        wanted = set(user_ids) | actor_ids
        users = (
            {
                u.id: u
                for u in (
                    await self.session.exec(select(User).where(col(User.id).in_(wanted)))
                ).all()
            }
            if wanted
            else {}
        )
        entries = [
            self._attendance(
                activity,
                users[uid],
                spans.get(uid, []),
                adjustments.get(uid, []),
                window=window,
                breaks=breaks,
                is_faculty=uid in view.faculty_ids,
            )
            for uid in user_ids
            if uid in users
        ]
        entries.sort(key=lambda e: (e.is_faculty, e.user.display_name.lower(), e.user.id or 0))
        actors = {uid: users[uid].display_name for uid in actor_ids if uid in users}
        return Roster(
            activity=activity,
            course_title=view.course.title,
            live_window=window,
            breaks=breaks,
            entries=entries,
            actors={k: v for k, v in actors.items() if k is not None},
        )

    async def adjustments(
        self, activity_id: int, user_id: int | None
    ) -> list[AttendanceAdjustment]:
        stmt = select(AttendanceAdjustment).where(AttendanceAdjustment.activity_id == activity_id)
        if user_id is not None:
            stmt = stmt.where(AttendanceAdjustment.user_id == user_id)
        rows = await self.session.exec(stmt.order_by(col(AttendanceAdjustment.id)))
        return list(rows.all())

    # correcting
    async def adjust(
        self,
        activity_id: int,
        user_id: int,
        *,
        start: object,
        end: object,
        kind: object,
        reason: object,
        actor: User,
    ) -> AttendanceAdjustment:
        """Add or remove an interval of a person's attendance; admins only, with a reason.

        ``start`` and ``end`` are aware datetimes, or wall-clock times ("2026-12-01T09:30")
        in the session's time zone."""
        if not permissions.is_admin(actor):
            raise PermissionDenied("Only administrators may adjust attendance.")
        activity = await self._live(activity_id)
        errors: dict[str, str] = {}
        kind_text = str(kind or "").strip()
        if kind_text not in {k.value for k in AdjustmentKind}:
            errors["kind"] = "Choose add (count an interval) or remove (do not count it)."
        reason_text = str(reason or "").strip()
        if not reason_text:
            errors["reason"] = "Say why: the reason is kept in the audit log."
        elif len(reason_text) > MAX_REASON:
            errors["reason"] = f"Keep the reason under {MAX_REASON} characters."
        starts = parse_when(start, activity.timezone, "start", errors)
        ends = parse_when(end, activity.timezone, "end", errors)
        if starts is not None and ends is not None:
            assert activity.starts_at is not None and activity.ends_at is not None
            opens, closes = activity.starts_at - EARLY_ENTRY, activity.ends_at + OVERRUN_GRACE
            if ends <= starts:
                errors["end"] = "The end must be after the start."
            elif starts < opens or ends > closes:
                errors["start"] = (
                    "Stay within the hours the room was open: "
                    f"{local_text(opens, activity.timezone)} to "
                    f"{local_text(closes, activity.timezone)}."
                )
        user = await self.session.get(User, user_id)
        if user is None:
            errors["user_id"] = f"There is no user {user_id}."
        elif not await self._takes_part(activity, user_id):
            errors["user_id"] = (
                f"{user.display_name} is not enrolled in this course and has "
                "no attendance of this session."
            )
        if errors:
            raise InvalidInput(errors)
        assert starts is not None and ends is not None
        row = AttendanceAdjustment(
            activity_id=activity_id,
            user_id=user_id,
            actor_id=actor.id,
            kind=kind_text,
            starts_at=starts,
            ends_at=ends,
            reason=reason_text,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        log.info(
            "attendance.adjusted",
            activity_id=activity_id,
            user_id=user_id,
            actor_id=actor.id,
            kind=kind_text,
            adjustment_id=row.id,
            starts_at=starts.isoformat(),
            ends_at=ends.isoformat(),
        )
        return row

    # helpers
    def _open_until(self, activity: Activity) -> datetime:
        """Where a span the server never closed ends: now, never past the room's closing."""
        assert activity.ends_at is not None
        return min(self.clock.now(), activity.ends_at + OVERRUN_GRACE)

    def _attendance(
        self,
        activity: Activity,
        user: User,
        spans: Sequence[AttendanceSpan],
        adjustments: Sequence[AttendanceAdjustment],
        *,
        window: LiveWindow,
        breaks: Sequence[ActivityBreak],
        is_faculty: bool = False,
    ) -> LearnerAttendance:
        live = interval_of(window.start, window.end)
        pauses = [interval_of(b.starts_at, b.ends_at) for b in breaks]
        open_until = self._open_until(activity)
        intervals = attended_intervals(
            (interval_of(s.joined_at, s.left_at or max(s.joined_at, open_until)) for s in spans),
            live,
            added=[
                interval_of(a.starts_at, a.ends_at)
                for a in adjustments
                if a.kind == AdjustmentKind.ADD
            ],
            removed=[
                interval_of(a.starts_at, a.ends_at)
                for a in adjustments
                if a.kind == AdjustmentKind.REMOVE
            ],
            breaks=pauses,
        )
        return LearnerAttendance(
            user=user,
            spans=sorted(spans, key=lambda s: (s.joined_at, s.id or 0)),
            adjustments=list(adjustments),
            intervals=[(moment_of(s), moment_of(e)) for s, e in intervals],
            window_seconds=total([live]),
            session_seconds=round(total(instructional_intervals(live, pauses)), 3),
            live_window=window,
            is_faculty=is_faculty,
        )

    async def _faculty_ids(self, activity: Activity) -> set[int]:
        stmt = select(CourseFaculty.user_id).where(CourseFaculty.course_id == activity.course_id)
        return set((await self.session.exec(stmt)).all())

    async def _live(self, activity_id: int) -> Activity:
        activity = await self.session.get(Activity, activity_id)
        if (
            activity is None
            or not activity.is_live
            or activity.starts_at is None
            or activity.ends_at is None
        ):
            raise ActivityNotFound(f"Activity {activity_id} is not a live session.")
        return activity

    async def _span(self, participant_id: str) -> AttendanceSpan | None:
        stmt = select(AttendanceSpan).where(AttendanceSpan.participant_id == participant_id)
        return (await self.session.exec(stmt.execution_options(populate_existing=True))).first()

    async def _spans(
        self, activity_id: int, user_ids: Sequence[int] | None
    ) -> dict[int, list[AttendanceSpan]]:
        stmt = select(AttendanceSpan).where(AttendanceSpan.activity_id == activity_id)
        if user_ids is not None:
            stmt = stmt.where(col(AttendanceSpan.user_id).in_(user_ids))
        by_user: dict[int, list[AttendanceSpan]] = {}
        for span in (await self.session.exec(stmt.order_by(col(AttendanceSpan.id)))).all():
            by_user.setdefault(span.user_id, []).append(span)
        return by_user

    async def _takes_part(self, activity: Activity, user_id: int) -> bool:
        if await self._spans(activity.id or 0, [user_id]):
            return True
        enrolled = await self.session.exec(
            select(Enrollment).where(
                Enrollment.course_id == activity.course_id,
                Enrollment.user_id == user_id,
                Enrollment.status == EnrollmentStatus.ENROLLED,
            )
        )
        return enrolled.first() is not None
