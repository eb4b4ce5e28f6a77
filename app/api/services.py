"""API tokens: made, listed and revoked by their owner, checked on every API request.

A token is shown once, when it is made; only its SHA-256 digest is stored
(`app.models.token_digest`), so a copy of the database gives nobody access.
Only the strategy team and administrators may hold tokens: the API reads
every area's responses, which community leads may not.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app import audit
from app.extensions import db
from app.models import ApiToken, User, token_digest, utcnow

API_ROLES = ("strategy", "admin")
TOKEN_PREFIX = "cv_"  # noqa: S105 (marks a token when it is pasted somewhere; not a secret)
# Lifetimes offered on the token page, in days; 90 is the default.
LIFETIME_DAYS = (30, 90, 180, 365)
DEFAULT_LIFETIME_DAYS = 90
MAX_LIVE_TOKENS = 10
NAME_MAX_LENGTH = 100
# Writing last_used_at on every request would make each API call a write;
# to the minute is precise enough to tell whether a token is still in use.
TOUCH_INTERVAL = timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be made or revoked; the message says why."""


class TokenNotFound(LookupError):
    """No token with that id belongs to this person."""


@dataclass(frozen=True)
class TokenRejected(Exception):
    """A request's token does not let it in: `status` 401 (who are you?) or 403 (not you)."""

    status: int
    code: str
    detail: str


def token_status(token: ApiToken, now: datetime | None = None) -> str:
    """Return "revoked", "expired" or "active"."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def tokens_of(user: User) -> list[ApiToken]:
    """Return every token `user` has made, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create_token(user: User, name: str, lifetime_days: int) -> tuple[ApiToken, str]:
    """Make a token for `user` (audited, in the caller's transaction); return it and its secret.

    The secret is returned only here: it cannot be read back later.
    """
    if user.role not in API_ROLES:
        raise TokenError("Only the strategy team and administrators can have API tokens")
    if not user.active:
        raise TokenError("A deactivated account cannot have API tokens")
    name = " ".join(name.split())
    if not name:
        raise TokenError("Enter a name for the token")
    if len(name) > NAME_MAX_LENGTH:
        raise TokenError(f"Name must be {NAME_MAX_LENGTH} characters or fewer")
    if lifetime_days not in LIFETIME_DAYS:
        raise TokenError("Select how long the token should last")
    now = utcnow()
    live = [t for t in tokens_of(user) if token_status(t, now) == "active"]
    same_name = next((t for t in live if t.name.lower() == name.lower()), None)
    if same_name is not None:
        raise TokenError(f"You already have a token called {same_name.name}: choose another name")
    if len(live) >= MAX_LIVE_TOKENS:
        raise TokenError(
            f"You already have {MAX_LIVE_TOKENS} tokens: revoke one you no longer use first"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=lifetime_days)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=token_digest(secret),
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token_created",
        actor=user,
        target=token,
        details={"name": name, "expires_at": expires_at.isoformat(timespec="seconds")},
    )
    return token, secret


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s tokens at once (audited, in the caller's transaction)."""
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        raise TokenNotFound(token_id)
    if token.revoked_at is not None:
        raise TokenError(f"The token {token.name} was already revoked")
    token.revoked_at = utcnow()
    audit.record("api_token_revoked", actor=user, target=token, details={"name": token.name})
    return token


def bearer_token(header: str | None) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header, or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return None
    return value


def authenticate(secret: str | None) -> ApiToken:
    """Return the live token named by `secret`, or raise TokenRejected saying why not."""
    if secret is None:
        raise TokenRejected(
            401, "missing_token", "Send your API token in an 'Authorization: Bearer' header."
        )
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == token_digest(secret))
    )
    # One message for unknown, revoked and expired tokens: a caller holding a
    # guessed or stolen token learns nothing from the difference.
    if token is None or token_status(token) != "active" or not token.user.active:
        raise TokenRejected(
            401,
            "invalid_token",
            "The API token is not valid: it may be mistyped, revoked or expired, "
            "or its account deactivated. Make a new one on your API tokens page.",
        )
    if token.user.role not in API_ROLES:
        raise TokenRejected(
            403, "forbidden", "Only the strategy team and administrators may use the API."
        )
    return token


def record_use(token: ApiToken) -> None:
    """Note that `token` was used now, at most once per TOUCH_INTERVAL.

    The request's transaction only reads (see app/database.py); it is ended
    first so the write begins a transaction of its own and waits for the lock.
    """
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return
    token_id = token.id
    db.session.commit()
    db.session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    db.session.commit()
