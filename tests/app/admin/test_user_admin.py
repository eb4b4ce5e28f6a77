"""Administrators invite, change and deactivate staff."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Area, AuditEvent, User
from tests.conftest import StaffMember, csrf_token, sign_in


def _area_ids(app: Flask, *names: str) -> list[str]:
    with app.app_context():
        ids = [
            str(db.session.scalar(sa.select(Area.id).where(Area.name == name))) for name in names
        ]
        db.session.remove()
    return ids


def _invite(client: FlaskClient, app: Flask, **overrides: object) -> object:
    token = csrf_token(client.get("/admin/users/invite").get_data(as_text=True))
    data: dict[str, object] = {
        "csrf_token": token,
        "name": "Nadia Lead",
        "email": "Nadia.Lead@example.org",
        "role": "lead",
        "areas": _area_ids(app, "Braunstone", "New Parks"),
    }
    data.update(overrides)
    return client.post("/admin/users/invite", data=data)


def test_invitation_link_lets_the_person_set_a_password_once(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    page = _invite(client, app)
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")  # type: ignore[attr-defined]
    link_element = soup.select_one("#invitation-link")
    assert link_element is not None
    link = link_element.get_text(strip=True)
    assert link.startswith("http://localhost/set-password/")
    path = link.removeprefix("http://localhost")

    invited = app.test_client()
    form = invited.get(path)
    assert form.status_code == 200
    assert "nadia.lead@example.org" in form.get_data(as_text=True)
    token = csrf_token(form.get_data(as_text=True))
    short = invited.post(path, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert "Password must be 12 characters or more" in short.get_data(as_text=True)
    done = invited.post(
        path,
        data={
            "csrf_token": token,
            "password": "purple otter lamp 42",
            "confirm": "purple otter lamp 42",
        },
    )
    assert done.status_code == 302
    assert invited.get(path).status_code == 404
    sign_in(invited, StaffMember(0, "nadia.lead@example.org", "purple otter lamp 42", "lead", ()))
    listing = invited.get("/sessions/")
    assert listing.status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "nadia.lead@example.org"))
        assert user is not None
        assert sorted(a.name for a in user.areas) == ["Braunstone", "New Parks"]
        actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions == ["sign_in", "user_created", "password_set", "sign_in"]
        db.session.remove()


def test_a_lead_needs_an_area_and_emails_are_unique(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    admin = signed_in("admin")
    no_area = _invite(client, app, areas=[])
    assert "Select at least one area for a community lead" in no_area.get_data(as_text=True)  # type: ignore[attr-defined]
    taken = _invite(client, app, email=admin.email)
    assert "already exists" in taken.get_data(as_text=True)  # type: ignore[attr-defined]


def test_change_role_and_areas(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_user: Callable[..., StaffMember],
) -> None:
    signed_in("admin")
    lead = make_user(role="lead", areas=("Belgrave",))
    page = client.get(f"/admin/users/{lead.id}")
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "role": "lead",
        "areas": _area_ids(app, "Highfields", "St. Matthews"),
    }
    assert client.post(f"/admin/users/{lead.id}", data=data).status_code == 302
    with app.app_context():
        user = db.session.get(User, lead.id)
        assert user is not None
        assert sorted(a.name for a in user.areas) == ["Highfields", "St. Matthews"]
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user_edited"))
        assert event is not None and event.details["after"]["role"] == "lead"
        db.session.remove()
    assert client.get("/admin/users/999999").status_code == 404


def test_deactivating_signs_the_person_out_and_blocks_sign_in(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_user: Callable[..., StaffMember],
) -> None:
    lead = make_user()
    lead_client = app.test_client()
    sign_in(lead_client, lead)
    assert lead_client.get("/sessions/").status_code == 200
    signed_in("admin")
    token = csrf_token(client.get(f"/admin/users/{lead.id}").get_data(as_text=True))
    client.post(f"/admin/users/{lead.id}/deactivate", data={"csrf_token": token})
    assert lead_client.get("/sessions/").status_code == 302
    page = lead_client.get("/sign-in")
    failed = lead_client.post(
        "/sign-in",
        data={
            "email": lead.email,
            "password": lead.password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert "Enter a correct email address and password" in failed.get_data(as_text=True)
    token = csrf_token(client.get(f"/admin/users/{lead.id}").get_data(as_text=True))
    client.post(f"/admin/users/{lead.id}/reactivate", data={"csrf_token": token})
    sign_in(lead_client, lead)


def test_an_admin_cannot_deactivate_or_demote_themself(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    admin = signed_in("admin")
    token = csrf_token(client.get(f"/admin/users/{admin.id}").get_data(as_text=True))
    client.post(f"/admin/users/{admin.id}/deactivate", data={"csrf_token": token})
    demote = client.post(
        f"/admin/users/{admin.id}", data={"csrf_token": token, "role": "strategy", "areas": []}
    )
    assert "You cannot remove your own administrator role" in demote.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, admin.id)
        assert user is not None and user.active and user.role == "admin"
        db.session.remove()


def test_reissued_link_replaces_the_old_one(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    first = BeautifulSoup(_invite(client, app).get_data(as_text=True), "html.parser")  # type: ignore[attr-defined]
    first_link = first.select_one("#invitation-link")
    assert first_link is not None
    with app.app_context():
        user_id = db.session.scalar(
            sa.select(User.id).where(User.email == "nadia.lead@example.org")
        )
        db.session.remove()
    token = csrf_token(client.get(f"/admin/users/{user_id}").get_data(as_text=True))
    second = client.post(f"/admin/users/{user_id}/invitation", data={"csrf_token": token})
    second_link = BeautifulSoup(second.get_data(as_text=True), "html.parser").select_one(
        "#invitation-link"
    )
    assert second_link is not None
    old_path = first_link.get_text(strip=True).removeprefix("http://localhost")
    new_path = second_link.get_text(strip=True).removeprefix("http://localhost")
    assert old_path != new_path
    assert app.test_client().get(old_path).status_code == 404
    assert app.test_client().get(new_path).status_code == 200


def test_audit_log_lists_events_newest_first(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    first_row = soup.select("tbody tr")[0]
    assert first_row.select("td")[2].get_text(strip=True) == "sign in"


def test_invite_error_summary_links_point_at_inputs(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    page = _invite(client, app, role="", name="", email="not-an-email", areas=[])
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")  # type: ignore[attr-defined]
    hrefs = [str(a["href"]) for a in soup.select(".govuk-error-summary a")]
    assert len(hrefs) == 3
    for href in hrefs:
        assert soup.find(id=href.lstrip("#")) is not None, href
