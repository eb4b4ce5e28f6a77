"""A lead of one area can neither see nor change another area's sessions.

Checked for every session URL in the URL map, and through forged form fields
(choosing another area's id in the record and edit forms).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Area, ConversationSession
from tests.conftest import StaffMember, csrf_token, sign_in


def _area_id(app: Flask, name: str) -> int:
    with app.app_context():
        area_id = db.session.scalar(sa.select(Area.id).where(Area.name == name))
        db.session.remove()
    assert area_id is not None
    return area_id


def _session_urls(app: Flask, session_id: int) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "<int:session_id>" in rule.rule:
            url = rule.rule.replace("<int:session_id>", str(session_id))
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                urls.append((method, url))
    return urls


FORM = {
    "held_on": ["14", "3", "2026"],
    "venue": "Library",
    "audience": "residents",
    "participants": "9",
    "facilitator": "Someone",
    "notes_what_where": "Fights by the bus station",
    "notes_why": "",
    "notes_impact": "",
    "notes_help": "",
}


def test_every_session_url_is_closed_to_a_lead_of_another_area(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    other_area_session = make_session(area="Braunstone")
    sign_in(client, make_user(role="lead", areas=("Belgrave",)))
    urls = _session_urls(app, other_area_session)
    assert len(urls) >= 5
    token = csrf_token(client.get("/sessions/new").get_data(as_text=True))
    for method, url in urls:
        response = client.open(url, method=method, data={**FORM, "csrf_token": token})
        assert response.status_code in (403, 404), (method, url, response.status_code)
    with app.app_context():
        conversation = db.session.get(ConversationSession, other_area_session)
        assert conversation is not None and conversation.deleted_at is None
        assert conversation.venue == "Community centre"
        db.session.remove()


def test_other_areas_are_not_listed_or_offered(
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(area="Braunstone", venue="Braunstone venue")
    make_session(area="Belgrave", venue="Belgrave venue")
    sign_in(client, make_user(role="lead", areas=("Belgrave",)))
    listing = client.get("/sessions/").get_data(as_text=True)
    assert "Belgrave venue" in listing
    assert "Braunstone venue" not in listing
    form = client.get("/sessions/new").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]+)</option>", form)
    assert [o.strip() for o in options] == ["Select an area", "Belgrave"]


def test_forged_area_on_new_session_is_refused(
    app: Flask, client: FlaskClient, make_user: Callable[..., StaffMember]
) -> None:
    sign_in(client, make_user(role="lead", areas=("Belgrave",)))
    token = csrf_token(client.get("/sessions/new").get_data(as_text=True))
    forged = {**FORM, "area": str(_area_id(app, "Braunstone")), "csrf_token": token}
    response = client.post("/sessions/new", data=forged)
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ConversationSession.id))) == 0
        db.session.remove()


def test_forged_area_on_edit_cannot_move_a_session_out_of_the_leads_areas(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    own = make_session(area="Belgrave")
    sign_in(client, make_user(role="lead", areas=("Belgrave",)))
    token = csrf_token(client.get(f"/sessions/{own}/edit").get_data(as_text=True))
    forged = {**FORM, "area": str(_area_id(app, "Braunstone")), "csrf_token": token}
    response = client.post(f"/sessions/{own}/edit", data=forged)
    assert response.status_code == 200
    with app.app_context():
        conversation = db.session.get(ConversationSession, own)
        assert conversation is not None
        assert conversation.area.name == "Belgrave"
        assert conversation.venue == "Community centre"
        db.session.remove()


def test_strategy_reads_every_area_but_changes_none(
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    session_id = make_session(area="Braunstone")
    sign_in(client, make_user(role="strategy"))
    assert client.get(f"/sessions/{session_id}").status_code == 200
    assert client.get(f"/sessions/{session_id}/edit").status_code == 403
    assert client.get("/sessions/new").status_code == 403
    assert client.get("/sessions/import").status_code == 403


def test_admin_reads_and_changes_every_area(
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    session_id = make_session(area="Braunstone")
    sign_in(client, make_user(role="admin"))
    assert client.get(f"/sessions/{session_id}").status_code == 200
    assert client.get(f"/sessions/{session_id}/edit").status_code == 200


def test_unknown_and_deleted_sessions_are_not_found(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    session_id = make_session(area="Belgrave")
    sign_in(client, make_user(role="lead", areas=("Belgrave",)))
    assert client.get("/sessions/999999").status_code == 404
    token = csrf_token(client.get(f"/sessions/{session_id}/delete").get_data(as_text=True))
    assert (
        client.post(f"/sessions/{session_id}/delete", data={"csrf_token": token}).status_code == 302
    )
    assert client.get(f"/sessions/{session_id}").status_code == 404
    assert client.get(f"/sessions/{session_id}/edit").status_code == 404
