"""The service navigation shown to each kind of user."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user

from app.auth.permissions import can_record_sessions

# (label, endpoint, roles that see it, endpoints that mark it active)
_ITEMS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Overview", "dashboard.overview_page", ("admin", "strategy"), ("dashboard.",)),
    (
        "Review",
        "dashboard.review_next",
        ("admin", "strategy"),
        ("dashboard.review", "dashboard.coder_quality"),
    ),
    ("Sessions", "sessions.list_sessions", ("admin", "strategy", "lead"), ("sessions.",)),
    ("Import", "sessions.import_sessions", ("admin", "lead"), ("sessions.import",)),
    (
        "Safeguarding",
        "dashboard.safeguarding_queue",
        ("admin", "strategy", "lead"),
        ("dashboard.safeguarding",),
    ),
    ("Surveys", "admin.list_surveys", ("admin",), ("admin.list_surveys", "admin.survey")),
    ("Codebook", "admin.codebook", ("admin",), ("admin.codebook",)),
    ("Users", "admin.list_users", ("admin",), ("admin.list_users", "admin.user", "admin.invite")),
    ("Audit log", "admin.audit_log", ("admin",), ("admin.audit",)),
    ("API tokens", "api_tokens.list_tokens", ("admin", "strategy"), ("api_tokens.",)),
)


def navigation_items() -> list[dict[str, Any]]:
    """Return the service navigation items for the signed-in user (none when signed out)."""
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    items: list[dict[str, Any]] = []
    best_match = 0
    active: dict[str, Any] | None = None
    for label, target, roles, prefixes in _ITEMS:
        if current_user.role not in roles:
            continue
        if target == "sessions.import_sessions" and not can_record_sessions(current_user):
            continue
        if target == "dashboard.safeguarding_queue" and not current_user.can_safeguard:
            continue
        item: dict[str, Any] = {"text": label, "href": url_for(target)}
        items.append(item)
        # The most specific match wins: "Import" is active on the import page, not "Sessions".
        match = max((len(p) for p in prefixes if endpoint.startswith(p)), default=0)
        if match > best_match:
            best_match, active = match, item
    if active is not None:
        active["active"] = True
    return items


def init_app(app: Flask) -> None:
    """Make the navigation available to every template."""
    app.jinja_env.globals["navigation_items"] = navigation_items
