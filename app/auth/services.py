"""Sign-in and invitation logic, kept out of the views."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa

from app import audit
from app.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.auth.throttle import SignInThrottle
from app.extensions import db
from app.models import Invitation, User, token_digest, utcnow


class AccountLocked(Exception):
    """Too many failed sign-ins for this address in the window."""


class InvalidInvitation(Exception):
    """The invitation link is unknown, used, or expired."""


class UnacceptablePassword(ValueError):
    """The chosen password fails the password policy."""


def find_user_by_email(email: str) -> User | None:
    """Return the user with `email` (case-insensitive), or None."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str, throttle: SignInThrottle) -> User | None:
    """Return the active user `email` and `password` identify, or None.

    Counts a failure against the address and audits it; raises AccountLocked
    while the address is locked out, before the password is even checked.
    """
    email = email.strip().lower()
    if throttle.is_locked(email):
        audit.record("sign_in_refused_locked", actor_label=email)
        db.session.commit()
        raise AccountLocked(email)
    user = find_user_by_email(email)
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        throttle.record_failure(email)
        reason = "unknown" if user is None else ("inactive" if password_ok else "password")
        audit.record("sign_in_failed", actor=user, actor_label=email, details={"reason": reason})
        db.session.commit()
        return None
    throttle.reset(email)
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def create_invitation(user: User, created_by: User | None, lifetime: timedelta) -> str:
    """Create a one-time set-password link token for `user` and return it.

    Earlier unused invitations of the same person stop working.
    """
    db.session.execute(
        sa.update(Invitation)
        .where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
        .values(expires_at=utcnow())
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        Invitation(
            user=user,
            token_hash=token_digest(token),
            created_by_id=created_by.id if created_by else None,
            expires_at=utcnow() + lifetime,
        )
    )
    return token


def find_invitation(token: str) -> Invitation:
    """Return the usable invitation for `token` or raise InvalidInvitation."""
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == token_digest(token))
    )
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.expires_at <= utcnow()
        or not invitation.user.active
    ):
        raise InvalidInvitation(token)
    return invitation


def redeem_invitation(token: str, password: str) -> User:
    """Set the password of the invitation's user and use the invitation up."""
    invitation = find_invitation(token)
    user = invitation.user
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise UnacceptablePassword(problem)
    user.password_hash = hash_password(password)
    invitation.used_at = utcnow()
    audit.record("password_set", actor=user, target=user)
    return user


def set_password(user: User, password: str) -> None:
    """Set `user`'s password after checking the policy (used by the CLI)."""
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise UnacceptablePassword(problem)
    user.password_hash = hash_password(password)
