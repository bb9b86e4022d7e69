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
from courses.models.interaction import (
    AudienceQuestion,
    Poll,
    PollKind,
    PollVote,
    QuestionUpvote,
)
from courses.models.meetings import Meeting, MeetingAttendance, MeetingInvitee
from courses.models.notifications import MailRecord, ReminderSent
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
from courses.models.rooms import GuestPolicy, RoomBan, RoomSetting
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
    "AudienceQuestion",
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
    "GuestPolicy",
    "JobState",
    "Layout",
    "MailRecord",
    "MediaJob",
    "Meeting",
    "MeetingAttendance",
    "MeetingInvitee",
    "Organization",
    "PasswordResetToken",
    "Poll",
    "PollKind",
    "PollVote",
    "ProviderStatement",
    "Question",
    "QuestionKind",
    "QuestionUpvote",
    "Recording",
    "RecordingParticipant",
    "RecordingState",
    "RecordingVisibility",
    "ReminderSent",
    "Role",
    "RoomBan",
    "RoomSetting",
    "User",
    "WatchProgress",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
