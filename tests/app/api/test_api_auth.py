"""Who may call the API: bearer tokens only, problem documents for everyone else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import ApiToken, User, token_digest
from tests.app.api.conftest import api_get
from tests.conftest import StaffMember, sign_in

PROBLEM = "application/problem+json"


def _assert_problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.mimetype == PROBLEM  # type: ignore[attr-defined]
    assert response.headers["Cache-Control"] == "no-store"  # type: ignore[attr-defined]
    assert "Set-Cookie" not in response.headers  # type: ignore[attr-defined]
    body = response.get_json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    return body  # type: ignore[no-any-return]


def test_a_live_strategy_token_opens_the_api(client: FlaskClient, strategy_token: str) -> None:
    response = api_get(client, "/api/v1/summary", strategy_token)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_an_administrator_token_works_too(
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_token: Callable[..., str],
) -> None:
    token = make_token(make_user(role="admin"))
    assert api_get(client, "/api/v1/themes", token).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b"],
)
def test_no_or_malformed_header_is_401(client: FlaskClient, header: str) -> None:
    response = client.get("/api/v1/summary", headers={"Authorization": header} if header else {})
    _assert_problem(response, 401, "missing_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_unknown_token_is_401_and_never_a_redirect(client: FlaskClient) -> None:
    response = api_get(client, "/api/v1/responses", "cv_made-up")
    _assert_problem(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "Location" not in response.headers


def test_revoked_expired_and_deactivated_tokens_are_401(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_token: Callable[..., str],
) -> None:
    now = datetime.now(UTC)
    revoked = make_token(make_user(role="strategy"), revoked_at=now - timedelta(seconds=1))
    expired = make_token(make_user(role="strategy"), expires_at=now - timedelta(seconds=1))
    member = make_user(role="strategy")
    deactivated = make_token(member)
    assert api_get(client, "/api/v1/themes", deactivated).status_code == 200
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user is not None
        user.active = False
        db.session.commit()
        db.session.remove()
    for token in (revoked, expired, deactivated):
        _assert_problem(api_get(client, "/api/v1/themes", token), 401, "invalid_token")


def test_a_lead_token_is_403(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_token: Callable[..., str],
) -> None:
    # Leads cannot make tokens; this one stands for a strategy member moved to lead.
    lead_token = make_token(make_user(role="lead"), revoked_at=None)
    _assert_problem(api_get(client, "/api/v1/summary", lead_token), 403, "forbidden")
    member = make_user(role="strategy")
    token = make_token(member)
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user is not None
        user.role = "lead"
        db.session.commit()
        db.session.remove()
    _assert_problem(api_get(client, "/api/v1/responses", token), 403, "forbidden")


def test_a_signed_in_browser_without_a_token_is_401(
    client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    sign_in(client, make_user(role="strategy"))
    assert client.get("/dashboard/").status_code == 200
    _assert_problem(client.get("/api/v1/summary"), 401, "missing_token")


def test_last_used_is_written_at_most_once_a_minute(
    app: Flask, client: FlaskClient, strategy_token: str
) -> None:
    def last_used() -> datetime | None:
        with app.app_context():
            value = db.session.scalar(
                sa.select(ApiToken.last_used_at).where(
                    ApiToken.token_hash == token_digest(strategy_token)
                )
            )
            db.session.remove()
        return value

    assert last_used() is None
    api_get(client, "/api/v1/themes", strategy_token)
    first = last_used()
    assert first is not None
    api_get(client, "/api/v1/themes", strategy_token)
    assert last_used() == first
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(last_used_at=first - timedelta(minutes=2)))
        db.session.commit()
        db.session.remove()
    api_get(client, "/api/v1/themes", strategy_token)
    later = last_used()
    assert later is not None and later >= first


def test_requests_beyond_the_limit_get_429(
    app: Flask, client: FlaskClient, strategy_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_REQUESTS_PER_TOKEN", "3 per minute")
    for _ in range(3):
        assert api_get(client, "/api/v1/themes", strategy_token).status_code == 200
    response = api_get(client, "/api/v1/themes", strategy_token)
    _assert_problem(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


def test_made_up_tokens_are_held_by_the_address_limit(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_REQUESTS_PER_ADDRESS", "5 per minute")
    for number in range(5):
        assert api_get(client, "/api/v1/summary", f"cv_guess{number}").status_code == 401
    _assert_problem(api_get(client, "/api/v1/summary", "cv_guess-more"), 429, "rate_limited")


def test_wrong_method_and_unknown_address_are_problems(
    client: FlaskClient, strategy_token: str
) -> None:
    headers = {"Authorization": f"Bearer {strategy_token}"}
    response = client.post("/api/v1/summary", headers=headers)
    _assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    _assert_problem(client.get("/api/v1/nothing-here", headers=headers), 404, "not_found")
    # The rest of the site keeps its HTML error pages.
    page = client.get("/nothing-here")
    assert page.status_code == 404
    assert page.mimetype == "text/html"


def test_the_api_needs_no_csrf_token(client: FlaskClient, strategy_token: str) -> None:
    # A POST reaches the API's own 405, not the CSRF error page.
    response = client.post(
        "/api/v1/responses", headers={"Authorization": f"Bearer {strategy_token}"}
    )
    assert response.status_code == 405
    assert response.mimetype == PROBLEM
