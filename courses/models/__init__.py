"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from sqlmodel import SQLModel

from courses.models.accounts import Degree, Organization, PasswordResetToken, Role, User
from courses.models.accreditation import (
    ActivityBreak,
    CreditDesignation,
    Disclosure,
    ProviderStatement,
)
from courses.models.assessments import (
    Assessment,
    AssessmentAttempt,
    AssessmentKind,
    Question,
    QuestionKind,
)
from courses.models.attendance import AdjustmentKind, AttendanceAdjustment, AttendanceSpan
from courses.models.catalog import Activity, ActivityKind, Course, CourseFaculty, CourseTag
from courses.models.chat import ChatMessage
from courses.models.credit_records import Certificate, CreditClaim
from courses.models.enrollment import Enrollment, EnrollmentStatus
from courses.models.meetings import Meeting, MeetingInvitee
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
from courses.models.webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint

metadata = SQLModel.metadata

__all__ = [
    "Activity",
    "ActivityBreak",
    "ActivityKind",
    "AdjustmentKind",
    "Assessment",
    "AssessmentAttempt",
    "AssessmentKind",
    "AttendanceAdjustment",
    "AttendanceSpan",
    "Certificate",
    "ChatMessage",
    "Course",
    "CourseFaculty",
    "CourseTag",
    "CreditClaim",
    "CreditDesignation",
    "Degree",
    "DeliveryState",
    "Disclosure",
    "Enrollment",
    "EnrollmentStatus",
    "JobState",
    "Layout",
    "MediaJob",
    "Meeting",
    "MeetingInvitee",
    "Organization",
    "PasswordResetToken",
    "ProviderStatement",
    "Question",
    "QuestionKind",
    "Recording",
    "RecordingParticipant",
    "RecordingState",
    "RecordingVisibility",
    "Role",
    "User",
    "WatchProgress",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
