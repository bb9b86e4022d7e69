"""Accounts: sign-up, sign-in, profile, roles and password reset."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.clock import Clock
from courses.errors import (
    AccountDisabled,
    EmailTaken,
    InvalidCredentials,
    InvalidInput,
    ResetTokenInvalid,
    SignupDisabled,
    UserNotFound,
)
from courses.models import Organization, PasswordResetToken, Role, User
from courses.passwords import Passwords, password_problem
from courses.profile import ProfileInput
from courses.querying import contains
from courses.validation import parse


def normalize_email(raw: str) -> str:
    """Lower-cased, IDNA-normalised address, or InvalidInput on the ``email`` field."""
    try:
        checked = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(
            {"email": f"Enter an email address like name@example.org ({exc})."}
        ) from None
    return checked.normalized.lower()


def token_digest(token: str) -> str:
    """How a secret token in a link is kept: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ResetRequest:
    """A reset token to deliver (only here in clear; the database holds its hash)."""

    user: User
    token: str


class AccountService:
    def __init__(self, session: AsyncSession, passwords: Passwords, clock: Clock) -> None:
        self.session = session
        self.passwords = passwords
        self.clock = clock

    # -- organisation ------------------------------------------------------------------
    async def organization(self) -> Organization:
        org = (await self.session.exec(select(Organization).limit(1))).first()
        if org is None:
            org = Organization(name="Rounds", signup_enabled=True, created_at=self.clock.now())
            self.session.add(org)
            await self.session.flush()
        return org

    async def update_organization(self, *, name: str, signup_enabled: bool) -> Organization:
        name = name.strip()
        if not name or len(name) > 200:
            raise InvalidInput({"name": "Give the organisation a name of 1 to 200 characters."})
        org = await self.organization()
        org.name = name
        org.signup_enabled = signup_enabled
        self.session.add(org)
        await self.session.flush()
        return org

    # -- users -------------------------------------------------------------------------
    async def get(self, user_id: int) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise UserNotFound(f"There is no user with id {user_id}.")
        return user

    async def by_email(self, email: str) -> User | None:
        return (await self.session.exec(select(User).where(User.email == email))).first()

    async def count(self) -> int:
        return (await self.session.exec(select(func.count()).select_from(User))).one()

    async def list(self, *, q: str = "", role: str = "", limit: int = 200) -> list[User]:
        stmt = select(User).order_by(col(User.display_name), col(User.id)).limit(limit)
        if q:
            stmt = stmt.where(contains(User.display_name, q) | contains(User.email, q))
        if role:
            stmt = stmt.where(User.role == role)
        return list((await self.session.exec(stmt)).all())

    async def create(
        self,
        *,
        email: str,
        password: str,
        display_name: str,
        role: Role = Role.LEARNER,
        self_service: bool = False,
    ) -> User:
        """A new account. ``self_service`` sign-ups honour the organisation's switch."""
        if self_service and not (await self.organization()).signup_enabled:
            raise SignupDisabled(
                "Sign-up is turned off here. Ask your CME office or administrator for an account."
            )
        errors: dict[str, str] = {}
        try:
            address = normalize_email(email)
        except InvalidInput as exc:
            errors.update(exc.errors)
            address = ""
        name = (display_name or "").strip()
        if not name or len(name) > 120:
            errors["display_name"] = "Give a name of 1 to 120 characters, as it should appear."
        problem = password_problem(password or "", address)
        if problem:
            errors["password"] = problem
        if errors:
            raise InvalidInput(errors)
        if await self.by_email(address) is not None:
            raise EmailTaken(
                "An account with this email already exists. Sign in, or reset your password."
            )
        user = User(
            email=address,
            password_hash=self.passwords.hash(password),
            role=Role(role).value,
            display_name=name,
            created_at=self.clock.now(),
        )
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError:
            # Another sign-up with the same address won the race.
            raise EmailTaken(
                "An account with this email already exists. Sign in, or reset your password."
            ) from None
        return user

    async def authenticate(self, email: str, password: str) -> User:
        try:
            address = normalize_email(email)
        except InvalidInput:
            address = ""
        user = await self.by_email(address) if address else None
        ok = self.passwords.verify(user.password_hash if user else None, password or "")
        if user is None or not ok:
            raise InvalidCredentials("That email and password do not match an account.")
        if not user.is_active:
            raise AccountDisabled("This account is disabled. Contact your administrator.")
        if self.passwords.needs_rehash(user.password_hash):
            user.password_hash = self.passwords.hash(password)
        user.last_login_at = self.clock.now()
        self.session.add(user)
        await self.session.flush()
        return user

    async def update_profile(self, user_id: int, data: dict[str, object]) -> User:
        profile = parse(ProfileInput, data)
        user = await self.get(user_id)
        for field, value in profile.model_dump().items():
            setattr(user, field, value.value if hasattr(value, "value") else value)
        self.session.add(user)
        await self.session.flush()
        return user

    async def set_reminders(self, user_id: int, enabled: bool) -> User:
        """The user's switch for reminder mail before live sessions and meetings."""
        user = await self.get(user_id)
        user.reminders_enabled = enabled
        self.session.add(user)
        await self.session.flush()
        return user

    async def set_role(self, user_id: int, role: str, *, actor: User) -> User:
        try:
            new_role = Role(role)
        except ValueError:
            raise InvalidInput({"role": "Choose learner, faculty or admin."}) from None
        user = await self.get(user_id)
        if user.id == actor.id and new_role is not Role.ADMIN:
            raise InvalidInput({"role": "You cannot remove your own admin role."})
        user.role = new_role.value
        self.session.add(user)
        await self.session.flush()
        return user

    async def set_active(self, user_id: int, active: bool, *, actor: User) -> User:
        user = await self.get(user_id)
        if user.id == actor.id and not active:
            raise InvalidInput({"is_active": "You cannot disable your own account."})
        user.is_active = active
        self.session.add(user)
        await self.session.flush()
        return user

    async def change_password(self, user_id: int, current: str, new: str) -> User:
        user = await self.get(user_id)
        if not self.passwords.verify(user.password_hash, current or ""):
            raise InvalidInput({"current_password": "That is not your current password."})
        problem = password_problem(new or "", user.email)
        if problem:
            raise InvalidInput({"new_password": problem})
        user.password_hash = self.passwords.hash(new)
        self.session.add(user)
        await self._expire_reset_tokens(user.id or 0)
        await self.session.flush()
        return user

    async def _expire_reset_tokens(self, user_id: int) -> None:
        """A changed password makes every outstanding reset link useless."""
        outstanding = await self.session.exec(
            select(PasswordResetToken).where(
                PasswordResetToken.user_id == user_id,
                col(PasswordResetToken.used_at).is_(None),
            )
        )
        now = self.clock.now()
        for token in outstanding.all():
            token.used_at = now
            self.session.add(token)

    # -- password reset ----------------------------------------------------------------
    async def start_password_reset(self, email: str, ttl: timedelta) -> ResetRequest | None:
        """A token for ``email``'s account, or None when there is no such active account.

        Callers answer the same either way, so the form does not reveal who has an account.
        """
        try:
            address = normalize_email(email)
        except InvalidInput:
            return None
        user = await self.by_email(address)
        if user is None or not user.is_active:
            return None
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        self.session.add(
            PasswordResetToken(
                user_id=user.id or 0,
                token_hash=token_digest(token),
                created_at=now,
                expires_at=now + ttl,
            )
        )
        await self.session.flush()
        return ResetRequest(user=user, token=token)

    async def _live_token(self, token: str) -> PasswordResetToken:
        row = (
            await self.session.exec(
                select(PasswordResetToken).where(
                    PasswordResetToken.token_hash == token_digest(token or "")
                )
            )
        ).first()
        if row is None or row.used_at is not None or row.expires_at <= self.clock.now():
            raise ResetTokenInvalid(
                "This reset link is invalid, used or expired. Ask for a new one."
            )
        return row

    async def check_reset_token(self, token: str) -> User:
        row = await self._live_token(token)
        return await self.get(row.user_id)

    async def complete_password_reset(self, token: str, new_password: str) -> User:
        row = await self._live_token(token)
        user = await self.get(row.user_id)
        problem = password_problem(new_password or "", user.email)
        if problem:
            raise InvalidInput({"password": problem})
        now = self.clock.now()
        user.password_hash = self.passwords.hash(new_password)
        row.used_at = now
        # Any other outstanding token for this account dies with this one.
        await self._expire_reset_tokens(user.id or 0)
        self.session.add_all([user, row])
        await self.session.flush()
        return user
