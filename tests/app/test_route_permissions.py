"""Every staff route refuses anonymous users and the wrong role.

Walks app.url_map, so a new staff page that forgets `staff_required` fails
here. Public routes are listed explicitly. JSON API routes (`token_required`,
marked `token_auth`) authenticate with a bearer token instead of the staff
cookie: they answer 401 problem documents to no or a bad token, and 403 to a
token whose owner has the wrong role, never a redirect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.permissions import ALL_STAFF
from app.extensions import db
from app.models import ApiToken, token_digest
from tests.conftest import StaffMember, sign_in

PUBLIC_ENDPOINTS = {
    "static",
    "core.index",
    "core.healthz",
    "auth.sign_in",
    "auth.set_password",
    "assets.stylesheet",
    "assets.script",
    "assets.image",
    # The residents' survey: anonymous by design.
    "survey.default_survey",
    "survey.privacy",
    "survey.start",
    "survey.question_page",
    "survey.check_answers",
    "survey.confirmation",
    # The API's description holds no data; tools read it before they have a token.
    "api.openapi_document",
}


def _example_url(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "csv" if m.group(1) == "fmt" else "1", rule)


def _is_token_route(app: Flask, endpoint: str) -> bool:
    return bool(getattr(app.view_functions[endpoint], "token_auth", False))


def _token_for(app: Flask, member: StaffMember) -> str:
    """Write a live API token for `member` directly (leads cannot make one themselves)."""
    secret = f"cv_route-permissions-{member.id}"
    with app.app_context():
        db.session.add(
            ApiToken(
                user_id=member.id,
                name="Route permissions",
                token_hash=token_digest(secret),
                expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        )
        db.session.commit()
        db.session.remove()
    return secret


def _assert_api_problem(response: object, status: int, endpoint: str, method: str) -> None:
    assert response.status_code == status, (endpoint, method, response.status_code)  # type: ignore[attr-defined]
    assert response.mimetype == "application/problem+json", endpoint  # type: ignore[attr-defined]
    assert "Location" not in response.headers, endpoint  # type: ignore[attr-defined]


def _staff_rules(app: Flask) -> list[tuple[str, str, set[str]]]:
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
        rules.append((rule.endpoint, rule.rule, methods))
    return rules


def test_every_non_public_view_declares_its_roles(app: Flask) -> None:
    missing = [
        endpoint
        for endpoint, _rule, _methods in _staff_rules(app)
        if not hasattr(app.view_functions[endpoint], "allowed_roles")
    ]
    assert missing == []


def test_there_are_staff_routes_to_check(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _rule, _methods in _staff_rules(app)}
    assert {"sessions.list_sessions", "admin.list_users", "auth.sign_out"} <= endpoints
    assert {"api.summary", "api.responses", "api_tokens.list_tokens"} <= endpoints
    assert _is_token_route(app, "api.summary")
    assert not _is_token_route(app, "api_tokens.list_tokens")


def test_anonymous_users_are_sent_to_sign_in_everywhere(app: Flask, client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for endpoint, rule, methods in _staff_rules(app):
            for method in methods:
                response = client.open(_example_url(rule), method=method)
                if _is_token_route(app, endpoint):
                    _assert_api_problem(response, 401, endpoint, method)
                    continue
                assert response.status_code == 302, (endpoint, method, response.status_code)
                assert response.headers["Location"].startswith("/sign-in"), endpoint
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_api_routes_refuse_a_bad_token_everywhere(app: Flask, client: FlaskClient) -> None:
    checked = 0
    for endpoint, rule, methods in _staff_rules(app):
        if not _is_token_route(app, endpoint):
            continue
        for method in methods:
            for header in ("Bearer cv_not-a-real-token", "Basic c29tZTpvbmU="):
                response = client.open(
                    _example_url(rule), method=method, headers={"Authorization": header}
                )
                _assert_api_problem(response, 401, endpoint, method)
                checked += 1
    assert checked > 0


@pytest.mark.parametrize("role", ALL_STAFF)
def test_wrong_role_is_refused_everywhere(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
    role: str,
) -> None:
    make_session()
    member = make_user(role=role)
    sign_in(client, member)
    token = _token_for(app, member)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        checked = 0
        for endpoint, rule, methods in _staff_rules(app):
            allowed = app.view_functions[endpoint].allowed_roles
            if role in allowed:
                continue
            for method in methods:
                if _is_token_route(app, endpoint):
                    response = client.open(
                        _example_url(rule),
                        method=method,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    _assert_api_problem(response, 403, endpoint, method)
                    checked += 1
                    continue
                response = client.open(_example_url(rule), method=method)
                assert response.status_code == 403, (endpoint, method, response.status_code)
                checked += 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    if role != "admin":
        assert checked > 0
