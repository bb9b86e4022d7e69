"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from sqlmodel import SQLModel

from courses.models.accounts import Degree, Organization, PasswordResetToken, Role, User
from courses.models.attendance import AdjustmentKind, AttendanceAdjustment, AttendanceSpan
from courses.models.catalog import Activity, ActivityKind, Course, CourseFaculty, CourseTag
from courses.models.enrollment import Enrollment, EnrollmentStatus
from courses.models.recordings import (
    JobState,
    Layout,
    MediaJob,
    Recording,
    RecordingParticipant,
    RecordingState,
    RecordingVisibility,
    WatchProgress,
)

metadata = SQLModel.metadata

__all__ = [
    "Activity",
    "ActivityKind",
    "AdjustmentKind",
    "AttendanceAdjustment",
    "AttendanceSpan",
    "Course",
    "CourseFaculty",
    "CourseTag",
    "Degree",
    "Enrollment",
    "EnrollmentStatus",
    "JobState",
    "Layout",
    "MediaJob",
    "Organization",
    "PasswordResetToken",
    "Recording",
    "RecordingParticipant",
    "RecordingState",
    "RecordingVisibility",
    "Role",
    "User",
    "WatchProgress",
    "metadata",
]
