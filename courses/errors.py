"""Domain errors. The app turns each into a response a person can act on."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the courses package raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class CourseNotFound(NotFound):
    code = "course_not_found"


class ActivityNotFound(NotFound):
    code = "activity_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class PermissionDenied(DomainError):
    code = "forbidden"


class InvalidInput(DomainError):
    """One or more fields are wrong; ``errors`` maps each field to what is expected."""

    code = "invalid_input"

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or "Some fields need attention: " + ", ".join(sorted(errors)))
        self.errors = errors


class Conflict(DomainError):
    code = "conflict"


class EmailTaken(Conflict):
    code = "email_taken"


class SlugTaken(Conflict):
    code = "slug_taken"


class EnrollmentClosed(DomainError):
    code = "enrollment_closed"


class SessionOver(DomainError):
    code = "session_over"


class SessionNotYetOpen(DomainError):
    code = "session_not_open"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class AccountDisabled(DomainError):
    code = "account_disabled"


class SignupDisabled(DomainError):
    code = "signup_disabled"


class ResetTokenInvalid(DomainError):
    code = "reset_token_invalid"
