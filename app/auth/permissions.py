"""Who may do what.

Every staff view is wrapped in `staff_required`, which records the roles it
allows on the view function; a test walks the URL map and fails if any staff
route lacks it. Area rules live here too, so views never decide them alone.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from app.extensions import login_manager
from app.models import User

ALL_STAFF = ("admin", "strategy", "lead")

F = TypeVar("F", bound=Callable[..., Any])


def staff_required(*roles: str) -> Callable[[F], F]:
    """Allow a view only to signed-in staff holding one of `roles` (all staff if none)."""
    allowed = roles or ALL_STAFF

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def readable_area_ids(user: User) -> set[int] | None:
    """Return the areas whose notes `user` may read, or None for every area."""
    if user.role in ("admin", "strategy"):
        return None
    return user.area_ids


def writable_area_ids(user: User) -> set[int] | None:
    """Return the areas whose notes `user` may change, or None for every area."""
    if user.role == "admin":
        return None
    if user.role == "lead":
        return user.area_ids
    return set()


def can_read_area(user: User, area_id: int) -> bool:
    """Return True when `user` may read notes from `area_id`."""
    allowed = readable_area_ids(user)
    return allowed is None or area_id in allowed


def can_write_area(user: User, area_id: int) -> bool:
    """Return True when `user` may record or change notes in `area_id`."""
    allowed = writable_area_ids(user)
    return allowed is None or area_id in allowed


def can_record_sessions(user: User) -> bool:
    """Return True when `user` may record sessions at all."""
    allowed = writable_area_ids(user)
    return allowed is None or bool(allowed)
