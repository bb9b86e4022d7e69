"""Who is asking: the session cookie's user, sign-in and sign-out, and role checks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection, Request

from app.wiring import Services
from courses.errors import PermissionDenied
from courses.models import Role, User

SESSION_USER = "uid"
SESSION_AUTH = "ah"
SESSION_CSRF = "csrf"


class LoginRequired(Exception):
    """Raised when a page or endpoint needs a signed-in user; answered 401 or a redirect."""


class Visitor(BaseUser):
    """``request.user``: the signed-in account, or an anonymous visitor."""

    def __init__(self, account: User | None = None) -> None:
        self.account = account

    @property
    def is_authenticated(self) -> bool:
        return self.account is not None

    @property
    def display_name(self) -> str:
        return self.account.display_name if self.account else ""

    @property
    def identity(self) -> str:
        return str(self.account.id) if self.account else ""


def auth_fingerprint(secret_key: str, user: User) -> str:
    """Changes when the password does, which signs out every other session of that user."""
    mac = hmac.new(secret_key.encode(), user.password_hash.encode(), hashlib.sha256)
    return mac.hexdigest()[:24]


def services_of(conn: HTTPConnection) -> Services:
    services: Services = conn.app.state.services
    return services


class SessionBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        session = conn.scope.get("session")
        if not session or SESSION_USER not in session:
            return AuthCredentials(), Visitor()
        services = services_of(conn)
        async with services.db.session() as db:
            user = await db.get(User, session[SESSION_USER])
        if (
            user is None
            or not user.is_active
            or not hmac.compare_digest(
                session.get(SESSION_AUTH, ""), auth_fingerprint(services.secret_key, user)
            )
        ):
            session.pop(SESSION_USER, None)
            session.pop(SESSION_AUTH, None)
            return AuthCredentials(), Visitor()
        return AuthCredentials(["authenticated", user.role]), Visitor(user)


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user``: new CSRF token, no data from before sign-in."""
    request.session.clear()
    request.session[SESSION_USER] = user.id
    request.session[SESSION_AUTH] = auth_fingerprint(services_of(request).secret_key, user)
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


def refresh_fingerprint(request: Request, user: User) -> None:
    """Keep this session signed in after its own user changed their password."""
    request.session[SESSION_AUTH] = auth_fingerprint(services_of(request).secret_key, user)


def current_user(request: HTTPConnection) -> User | None:
    visitor = request.scope.get("user")
    return visitor.account if isinstance(visitor, Visitor) else None


def require_user(request: HTTPConnection) -> User:
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


def require_role(request: HTTPConnection, *roles: Role) -> User:
    user = require_user(request)
    if user.role not in {r.value for r in roles}:
        names = " or ".join(r.value for r in roles)
        raise PermissionDenied(f"This needs the {names} role; your account is {user.role}.")
    return user


def require_admin(request: HTTPConnection) -> User:
    return require_role(request, Role.ADMIN)


def require_teacher(request: HTTPConnection) -> User:
    return require_role(request, Role.FACULTY, Role.ADMIN)
