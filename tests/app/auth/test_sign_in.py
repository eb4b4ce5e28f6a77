"""Signing in and out, throttling, and cookies that stop working."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, StaffSession, User
from tests.conftest import StaffMember, csrf_token, sign_in


def _post_sign_in(client: FlaskClient, email: str, password: str, next_url: str = "") -> object:
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("cv_session")
    assert cookie is not None
    return cookie.value


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
        db.session.remove()
    return actions


def test_sign_in_with_correct_password(
    app: Flask, client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    response = _post_sign_in(client, member.email.upper(), member.password)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.get("/sessions/").status_code == 200
    assert _actions(app) == ["sign_in"]


def test_wrong_password_gives_one_message_for_every_failure(
    app: Flask, client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    for email, password in [(member.email, "wrong password 123"), ("nobody@example.org", "x" * 12)]:
        response = _post_sign_in(client, email, password)
        html = response.get_data(as_text=True)  # type: ignore[attr-defined]
        assert "Enter a correct email address and password" in html
        assert "govuk-error-summary" in html
    assert client.get("/sessions/").status_code == 302
    assert _actions(app).count("sign_in_failed") == 2


def test_ten_failures_lock_the_account_even_with_the_right_password(
    app: Flask, client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    for _ in range(10):
        _post_sign_in(client, member.email, "wrong password 123")
    response = _post_sign_in(client, member.email, member.password)
    assert "Too many failed attempts" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert client.get("/sessions/").status_code == 302
    assert "sign_in_refused_locked" in _actions(app)


def test_nine_failures_then_success_signs_in(
    client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    for _ in range(9):
        _post_sign_in(client, member.email, "wrong password 123")
    _post_sign_in(client, member.email, member.password)
    assert client.get("/sessions/").status_code == 200


def test_attempts_per_address_are_limited(app: Flask, client: FlaskClient) -> None:
    app.config["SIGN_IN_ATTEMPTS_PER_ADDRESS"] = "5 per 15 minutes"
    try:
        statuses = []
        for number in range(7):
            response = _post_sign_in(client, f"person{number}@example.org", "wrong password 123")
            statuses.append(response.status_code)  # type: ignore[attr-defined]
        assert statuses == [200] * 5 + [429, 429]
        assert "Too many attempts" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    finally:
        app.config["SIGN_IN_ATTEMPTS_PER_ADDRESS"] = "100000 per 15 minutes"


def test_signed_out_cookie_cannot_be_replayed(
    app: Flask, client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    sign_in(client, member)
    stolen = _session_cookie(client)
    token = csrf_token(client.get("/sessions/").get_data(as_text=True))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/sessions/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("cv_session", stolen)
    response = replay.get("/sessions/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert "sign_out" in _actions(app)


def test_deactivation_ends_open_sessions(
    app: Flask, client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    sign_in(client, member)
    assert client.get("/sessions/").status_code == 200
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user is not None
        user.active = False
        db.session.commit()
        db.session.remove()
    assert client.get("/sessions/").status_code == 302
    assert _post_sign_in(client, member.email, member.password).status_code == 200  # type: ignore[attr-defined]


def test_idle_sessions_expire_after_thirty_minutes(
    app: Flask, client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    sign_in(client, member)
    with app.app_context():
        staff_session = db.session.scalar(sa.select(StaffSession))
        assert staff_session is not None
        staff_session.last_seen_at = staff_session.last_seen_at - timedelta(minutes=29)
        db.session.commit()
        db.session.remove()
    assert client.get("/sessions/").status_code == 200
    with app.app_context():
        staff_session = db.session.scalar(sa.select(StaffSession))
        assert staff_session is not None
        staff_session.last_seen_at = staff_session.last_seen_at - timedelta(minutes=31)
        db.session.commit()
        db.session.remove()
    assert client.get("/sessions/").status_code == 302
    with app.app_context():
        staff_session = db.session.scalar(sa.select(StaffSession))
        assert staff_session is not None and staff_session.ended_reason == "idle"
        db.session.remove()


def test_no_remember_me_cookie_and_session_cookie_is_http_only(
    client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    response = client.post(
        "/sign-in", data={"email": member.email, "password": member.password, "csrf_token": token}
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token") for c in cookies)
    session_cookie = next(c for c in cookies if c.startswith("cv_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_cookie_carries_a_session_token_not_the_user_id(
    app: Flask, client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    sign_in(client, member)
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    data = serializer.loads(_session_cookie(client))
    assert data["_user_id"] != str(member.id)
    assert len(data["_user_id"]) >= 40


def test_passwords_are_stored_as_argon2id(
    app: Flask, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user is not None and user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        assert member.password not in user.password_hash
        db.session.remove()


def test_next_parameter_cannot_redirect_off_site(
    client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    member = make_user()
    response = _post_sign_in(client, member.email, member.password, "//evil.example/steal")
    assert response.headers["Location"] == "/"  # type: ignore[attr-defined]
    client.post(
        "/sign-out",
        data={"csrf_token": csrf_token(client.get("/sessions/").get_data(as_text=True))},
    )
    response = _post_sign_in(client, member.email, member.password, "/sessions/new")
    assert response.headers["Location"] == "/sessions/new"  # type: ignore[attr-defined]


def test_sign_out_needs_a_post_with_csrf(
    client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    sign_in(client, make_user())
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert client.get("/sessions/").status_code == 200
