"""The API tokens page: make a token (shown once), list your own, revoke one; audited."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import ApiToken, AuditEvent, token_digest
from tests.app.api.conftest import api_get
from tests.conftest import StaffMember, csrf_token

PAGE = "/account/api-tokens/"


def _create(client: FlaskClient, name: str, lifetime: str = "90") -> str:
    page = client.get(PAGE)
    assert page.status_code == 200
    response = client.post(
        PAGE,
        data={
            "name": name,
            "lifetime": lifetime,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _secret(html: str) -> str:
    code = BeautifulSoup(html, "html.parser").select_one("#api-token")
    assert code is not None, html[:3000]
    return code.get_text(strip=True)


def test_strategy_user_makes_uses_and_revokes_a_token(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    member = signed_in("strategy")
    secret = _secret(_create(client, "Quarterly report"))
    assert re.fullmatch(r"cv_[A-Za-z0-9_-]{43}", secret)
    # Shown once: the list shows the name and dates, never the token.
    listing = client.get(PAGE).get_data(as_text=True)
    assert secret not in listing
    row = BeautifulSoup(listing, "html.parser").select_one("#api-tokens tbody tr")
    assert row is not None
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[0] == "Quarterly report"
    assert cells[2] == "Never"
    assert "Active" in cells[4]
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert token is not None
        assert token.user_id == member.id
        assert token.token_hash == token_digest(secret)
        assert token.expires_at is not None
        assert (token.expires_at - token.created_at).days == 90
        token_id = token.id
        created = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "api_token_created")
        )
        assert created is not None and created.actor_id == member.id
        assert secret not in str(created.details)
        db.session.remove()

    assert api_get(client, "/api/v1/themes", secret).status_code == 200
    listing = client.get(PAGE).get_data(as_text=True)
    assert "Never" not in BeautifulSoup(listing, "html.parser").select("#api-tokens td")[2].text

    revoked = client.post(
        f"{PAGE}{token_id}/revoke",
        data={"csrf_token": csrf_token(listing)},
        follow_redirects=True,
    )
    assert "has been revoked" in revoked.get_data(as_text=True)
    assert "Revoked" in revoked.get_data(as_text=True)
    assert api_get(client, "/api/v1/themes", secret).status_code == 401
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AuditEvent.action == "api_token_revoked")
            )
            == 1
        )
        db.session.remove()


def test_revoking_needs_the_csrf_token(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    secret = _secret(_create(client, "Admin script", "30"))
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
        db.session.remove()
    response = client.post(f"{PAGE}{token_id}/revoke", data={})
    assert response.status_code == 400
    assert api_get(client, "/api/v1/themes", secret).status_code == 200


def test_nobody_sees_or_revokes_anothers_token(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_user: Callable[..., StaffMember],
    make_token: Callable[..., str],
) -> None:
    other = make_token(make_user(role="strategy"))
    signed_in("admin")
    listing = client.get(PAGE).get_data(as_text=True)
    assert "You have no API tokens." in listing
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
        db.session.remove()
    response = client.post(f"{PAGE}{token_id}/revoke", data={"csrf_token": csrf_token(listing)})
    assert response.status_code == 404
    assert api_get(client, "/api/v1/themes", other).status_code == 200


def test_bad_names_and_lifetimes_are_explained(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("strategy")
    assert "Enter a name for the token" in _create(client, "   ")
    assert "100 characters or fewer" in _create(client, "x" * 101)
    assert "Not a valid choice" in _create(client, "Script", "7") or "Select how long" in (
        _create(client, "Script", "7")
    )
    _secret(_create(client, "Script"))
    assert "You already have a token called Script" in _create(client, "script")


def test_leads_cannot_have_tokens(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead")
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"name": "x", "lifetime": "90"}).status_code in (400, 403)


def test_the_page_is_in_the_navigation_for_strategy_only(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("strategy")
    assert PAGE.rstrip("/") in client.get("/dashboard/").get_data(as_text=True)
