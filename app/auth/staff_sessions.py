"""Server-side staff sessions.

The session cookie carries a random token, not the user id. The token's
hash is stored with the time it was last used, so the server can end a
session for good: on sign-out, after 30 idle minutes, or when the person is
deactivated. A copied or replayed cookie then no longer signs anyone in.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, session
from flask_login import login_user, logout_user

from app.extensions import db, login_manager
from app.models import StaffSession, User, token_digest, utcnow

# Writing last_seen_at on every request would make each page view a write;
# once a minute is precise enough for a 30-minute idle timeout.
_TOUCH_INTERVAL = timedelta(minutes=1)


def start_staff_session(user: User) -> StaffSession:
    """Sign `user` in: create a server-side session and put its token in the cookie."""
    token = secrets.token_urlsafe(32)
    staff_session = StaffSession(user=user, token_hash=token_digest(token))
    db.session.add(staff_session)
    user.last_sign_in_at = utcnow()
    user.session_token = token
    # A fresh cookie at sign-in: nothing from before sign-in carries over.
    session.clear()
    session.permanent = True
    login_user(user, remember=False)
    return staff_session


def end_staff_session(user: User, reason: str = "signed_out") -> None:
    """Sign the current session out and revoke its token on the server."""
    if user.session_token:
        db.session.execute(
            sa.update(StaffSession)
            .where(
                StaffSession.token_hash == token_digest(user.session_token),
                StaffSession.ended_at.is_(None),
            )
            .values(ended_at=utcnow(), ended_reason=reason)
        )
    logout_user()
    session.clear()


def end_all_sessions_of(user: User, reason: str) -> int:
    """Revoke every open session of `user` (on deactivation); return how many."""
    result = db.session.execute(
        sa.update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def load_user_from_token(token: str) -> User | None:
    """Return the user whose live session `token` names, or None.

    Called by Flask-Login on every request that carries a session cookie.
    """
    staff_session = db.session.scalar(
        sa.select(StaffSession).where(StaffSession.token_hash == token_digest(token))
    )
    if staff_session is None or staff_session.ended_at is not None:
        return None
    now = utcnow()
    user = staff_session.user
    idle_limit: timedelta = current_app.config["STAFF_IDLE_TIMEOUT"]
    if not user.active or now - staff_session.last_seen_at > idle_limit:
        _write_apart(
            staff_session.id,
            ended_at=now,
            ended_reason="deactivated" if not user.active else "idle",
        )
        return None
    if now - staff_session.last_seen_at > _TOUCH_INTERVAL:
        _write_apart(staff_session.id, last_seen_at=now)
    user.session_token = token
    return user


def _write_apart(staff_session_id: int, **values: object) -> None:
    """Update a staff session in a transaction of its own.

    On a page view the request's transaction only reads (see app/database.py);
    ending it first lets this write wait for the lock instead of failing.
    """
    db.session.commit()
    db.session.execute(
        sa.update(StaffSession).where(StaffSession.id == staff_session_id).values(**values)
    )
    db.session.commit()


def init_login(app: Flask) -> None:
    """Configure Flask-Login for staff pages."""
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_token)
    del app
