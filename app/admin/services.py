"""Staff account management, kept out of the views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app import audit
from app.auth.services import create_invitation
from app.auth.staff_sessions import end_all_sessions_of
from app.extensions import db
from app.models import Area, AuditEvent, Survey, User
from app.reference import ROLES


class AccountError(ValueError):
    """A change to an account that cannot be made; the message says why."""


def _areas(area_ids: Sequence[int]) -> list[Area]:
    areas = list(db.session.scalars(sa.select(Area).where(Area.id.in_(area_ids or [-1]))))
    if len(areas) != len(set(area_ids)):
        raise AccountError("Select areas from the list")
    return areas


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    area_ids: Sequence[int] = (),
    created_by: User | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a staff account (audited) in the caller's transaction."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError("An account with this email address already exists")
    if role == "lead" and not area_ids:
        raise AccountError("A community lead needs at least one area")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        areas=_areas(area_ids) if role == "lead" else [],
        password_hash=password_hash,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user_created",
        actor=created_by,
        actor_label=created_by.email if created_by else "command line",
        target=user,
        details={"role": role, "area_ids": sorted(area_ids) if role == "lead" else []},
    )
    return user


def invite_user(
    *,
    email: str,
    name: str,
    role: str,
    area_ids: Sequence[int],
    invited_by: User,
    lifetime: timedelta,
) -> tuple[User, str]:
    """Create an account with no password and return it with its one-time link token."""
    user = create_user(email=email, name=name, role=role, area_ids=area_ids, created_by=invited_by)
    return user, create_invitation(user, invited_by, lifetime)


def new_invitation(user: User, by: User, lifetime: timedelta) -> str:
    """Issue a fresh set-password link (the old one stops working)."""
    if not user.active:
        raise AccountError("Reactivate the account before sending a new link")
    token = create_invitation(user, by, lifetime)
    audit.record("invitation_reissued", actor=by, target=user)
    return token


def change_role(
    user: User, role: str, area_ids: Sequence[int], by: User, *, safeguarding: bool | None = None
) -> None:
    """Change someone's role and areas (and, if given, their safeguarding permission)."""
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}")
    if user.id == by.id and role != "admin":
        raise AccountError("You cannot remove your own administrator role")
    if role == "lead" and not area_ids:
        raise AccountError("A community lead needs at least one area")
    before = {
        "role": user.role,
        "area_ids": sorted(user.area_ids),
        "safeguarding": user.safeguarding,
    }
    user.role = role
    user.areas = _areas(area_ids) if role == "lead" else []
    if safeguarding is not None:
        user.safeguarding = safeguarding
    after = {"role": role, "area_ids": sorted(user.area_ids), "safeguarding": user.safeguarding}
    audit.record("user_edited", actor=by, target=user, details={"before": before, "after": after})


def deactivate(user: User, by: User) -> None:
    """Stop someone signing in, and end every session they have open."""
    if user.id == by.id:
        raise AccountError("You cannot deactivate your own account")
    user.active = False
    ended = end_all_sessions_of(user, "deactivated")
    audit.record("user_deactivated", actor=by, target=user, details={"sessions_ended": ended})


def reactivate(user: User, by: User) -> None:
    """Let a deactivated person sign in again."""
    user.active = True
    audit.record("user_reactivated", actor=by, target=user)


def list_users() -> list[User]:
    """Return every staff account, active first, by name."""
    return list(db.session.scalars(sa.select(User).order_by(User.active.desc(), User.name)))


def audit_page(page: int, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    """Return one page of the audit log, newest first, and the total number of rows."""
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) or 0
    events = list(
        db.session.scalars(
            sa.select(AuditEvent)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        )
    )
    return events, total


def change_survey_dates(
    survey: Survey, accepting: bool, opens_on: date | None, closes_on: date | None, by: User
) -> None:
    """Open or close a survey, optionally between dates (midnight UTC at each end)."""
    survey.accepting = accepting
    survey.opens_at = datetime.combine(opens_on, time.min, UTC) if opens_on else None
    survey.closes_at = datetime.combine(closes_on, time.min, UTC) if closes_on else None
    audit.record(
        "survey_settings_changed",
        actor=by,
        target=survey,
        details={
            "accepting": accepting,
            "opens_on": opens_on.isoformat() if opens_on else None,
            "closes_on": closes_on.isoformat() if closes_on else None,
        },
    )
