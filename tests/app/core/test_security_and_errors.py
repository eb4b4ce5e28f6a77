"""Security headers, error pages, the request size limit and the health check."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import StaffMember, csrf_token


def test_security_headers_on_every_page(client: FlaskClient) -> None:
    response = client.get("/sign-in")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all(f'nonce="{nonce.group(1)}"' in attrs for attrs in scripts)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers


def test_nonce_changes_per_request(client: FlaskClient) -> None:
    first = client.get("/sign-in").headers["Content-Security-Policy"]
    second = client.get("/sign-in").headers["Content-Security-Policy"]
    assert first != second


def test_hsts_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from app import create_app
    from config import ProductionConfig

    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setattr(ProductionConfig, "SQLALCHEMY_DATABASE_URI", "sqlite://")
    app = create_app(ProductionConfig)
    response = app.test_client().get("/sign-in")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in (response.headers.get("Set-Cookie") or "Secure")


def test_no_third_party_hosts_in_pages(client: FlaskClient) -> None:
    html = client.get("/sign-in").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    assert all(not url.startswith(("http://", "https://", "//")) for url in urls)
    assert "GDS Transport" not in client.get("/assets/app.css").get_data(as_text=True)
    assert client.get("/assets/images/govuk-crest.svg").status_code == 404


def test_assets_are_served_and_cacheable(client: FlaskClient) -> None:
    css = client.get("/assets/app.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "no-store" not in css.headers.get("Cache-Control", "")
    assert client.get("/assets/govuk-frontend.min.js").status_code == 200
    assert client.get("/assets/images/favicon.svg").status_code == 200


def test_not_found_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unexpected_errors_never_show_a_stack_trace(caplog: pytest.LogCaptureFixture) -> None:
    from app import create_app

    app = create_app("test")
    app.testing = False

    @app.get("/explode-for-test")
    def explode() -> str:
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/explode-for-test")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "secret internals" not in html and "Traceback" not in html
    assert "secret internals" in caplog.text


def test_forms_without_csrf_are_refused(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead")
    response = client.post("/sessions/new", data={"venue": "x"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_healthz_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from app import create_app
    from config import TestConfig

    class Broken(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:1/none"

    response = create_app(Broken).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_staff_pages_are_not_cached(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead")
    response = client.get("/sessions/")
    assert response.headers["Cache-Control"] == "no-store"
    assert csrf_token(response.get_data(as_text=True))


def test_header_and_banners_render_markup_not_escaped_tags(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead")
    token = csrf_token(client.get("/sessions/").get_data(as_text=True))
    client.post("/sign-out", data={"csrf_token": token})
    html = client.get("/sign-in").get_data(as_text=True)
    assert "&lt;" not in html
    assert '<span class="app-council-logo">Leicester City Council</span>' in html
    assert '<p class="govuk-notification-banner__heading">You have signed out.</p>' in html


def test_flashed_messages_are_escaped(app: Flask) -> None:
    from flask import flash, render_template_string

    with app.test_request_context("/sign-in"):
        flash("<script>alert(1)</script>", "success")
        html = render_template_string(
            '{% extends "base.html" %}{% set title = "t" %}{% block main_content %}{% endblock %}'
        )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
