"""Every staff route refuses anonymous users and the wrong role.

Walks app.url_map, so a new staff page that forgets `staff_required` fails
here. Public routes are listed explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.permissions import ALL_STAFF
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
}


def _example_url(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "csv" if m.group(1) == "fmt" else "1", rule)


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


def test_anonymous_users_are_sent_to_sign_in_everywhere(app: Flask, client: FlaskClient) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for endpoint, rule, methods in _staff_rules(app):
            for method in methods:
                response = client.open(_example_url(rule), method=method)
                assert response.status_code == 302, (endpoint, method, response.status_code)
                assert response.headers["Location"].startswith("/sign-in"), endpoint
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


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
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        checked = 0
        for endpoint, rule, methods in _staff_rules(app):
            allowed = app.view_functions[endpoint].allowed_roles
            if role in allowed:
                continue
            for method in methods:
                response = client.open(_example_url(rule), method=method)
                assert response.status_code == 403, (endpoint, method, response.status_code)
                checked += 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    if role != "admin":
        assert checked > 0
