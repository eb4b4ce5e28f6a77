"""The audit trail: one row per sign-in, failed sign-in, create, edit, delete, import.

Rows are added to the caller's transaction, so an action and its audit row
are saved together or not at all. Details hold ids and counts, never a
password or the text of a note.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from app.extensions import db
from app.models import AuditEvent, User

log = logging.getLogger("community_voice.audit")


def record(
    action: str,
    *,
    target: Any = None,
    details: dict[str, Any] | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit row for `action` on `target` (a model instance or None)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    target_type = type(target).__name__ if target is not None else None
    target_id = str(target.id) if target is not None and getattr(target, "id", None) else None
    event = AuditEvent(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.email if actor else None),
        target_type=target_type,
        target_id=target_id,
        remote_addr=request.remote_addr if has_request_context() else None,
        details=details or {},
    )
    db.session.add(event)
    log.info(
        "audit action=%s actor=%s target=%s:%s",
        action,
        event.actor_label or "-",
        target_type or "-",
        target_id or "-",
    )
    return event
