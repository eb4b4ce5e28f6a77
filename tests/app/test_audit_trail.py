"""The audit trail and the logs never hold passwords or the text of notes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent
from tests.conftest import StaffMember, csrf_token, sign_in

SECRET_NOTE = "Zebra-unique note text about the underpass"


def test_no_password_or_note_text_in_audit_rows_or_logs(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    caplog: pytest.LogCaptureFixture,
) -> None:
    lead = make_user(role="lead", areas=("Belgrave",))
    caplog.set_level(logging.DEBUG)
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    client.post(
        "/sign-in",
        data={"email": lead.email, "password": "wrong-password-typed", "csrf_token": token},
    )
    sign_in(client, lead)
    html = client.get("/sessions/new").get_data(as_text=True)
    import re

    area = re.search(r'<option value="(\d+)">Belgrave</option>', html)
    assert area is not None
    response = client.post(
        "/sessions/new",
        data={
            "csrf_token": csrf_token(html),
            "area": area.group(1),
            "held_on": ["1", "2", "2026"],
            "venue": "Hall",
            "audience": "mixed",
            "participants": "5",
            "facilitator": "F",
            "notes_what_where": SECRET_NOTE,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        events = list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
        dumped = json.dumps([[e.action, e.actor_label, e.details] for e in events])
        actions = [e.action for e in events]
        db.session.remove()
    assert actions == ["sign_in_failed", "sign_in", "session_created"]
    for secret in (lead.password, "wrong-password-typed", SECRET_NOTE):
        assert secret not in dumped
        assert secret not in caplog.text
    assert "audit action=session_created" in caplog.text
