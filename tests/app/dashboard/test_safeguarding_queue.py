"""The safeguarding queue: who sees it, acting on a flag, and the audit of every view."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, SafeguardingFlag, User
from tests.conftest import StaffMember, csrf_token, sign_in

RISK = "My little brother has a knife in his school bag right now"


def _flag_id(app: Flask) -> int:
    with app.app_context():
        flag_id = db.session.scalar(sa.select(SafeguardingFlag.id))
        db.session.remove()
    assert flag_id is not None
    return flag_id


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
        db.session.remove()
    return actions


def test_only_admins_and_permitted_staff_see_flags(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(points={"what_where": [RISK]})
    flag_id = _flag_id(app)
    for role in ("strategy", "lead"):
        other = app.test_client()
        sign_in(other, make_user(role=role))
        assert other.get("/dashboard/safeguarding/").status_code == 403
        assert other.get(f"/dashboard/safeguarding/{flag_id}").status_code == 403
        assert "Safeguarding</a>" not in other.get("/sessions/").get_data(as_text=True)
    trained = make_user(role="strategy")
    with app.app_context():
        user = db.session.get(User, trained.id)
        assert user is not None
        user.safeguarding = True
        db.session.commit()
        db.session.remove()
    sign_in(client, trained)
    assert client.get("/dashboard/safeguarding/").status_code == 200
    admin = app.test_client()
    sign_in(admin, make_user(role="admin"))
    assert admin.get(f"/dashboard/safeguarding/{flag_id}").status_code == 200
    assert admin.get("/dashboard/safeguarding/999999").status_code == 404


def test_acting_on_a_flag_with_every_view_audited(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(points={"what_where": [RISK, "We need more youth clubs"]})
    signed_in("admin")
    queue = BeautifulSoup(
        client.get("/dashboard/safeguarding/").get_data(as_text=True), "html.parser"
    )
    rows = queue.select("#flags tbody tr")
    assert len(rows) == 1
    assert "Someone carrying a weapon now" in rows[0].get_text()
    flag_id = _flag_id(app)
    page = client.get(f"/dashboard/safeguarding/{flag_id}")
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    flagged = soup.select_one("#flagged-text")
    assert flagged is not None and flagged.get_text() == RISK
    assert flagged.select("mark")
    empty = client.post(
        f"/dashboard/safeguarding/{flag_id}",
        data={"csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert "Enter what was done" in empty.get_data(as_text=True)
    done = client.post(
        f"/dashboard/safeguarding/{flag_id}",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "note": "Passed to the school's safeguarding lead by phone",
        },
    )
    assert done.status_code == 302
    assert "There are no flags to act on" in client.get("/dashboard/safeguarding/").get_data(
        as_text=True
    )
    actioned = client.get("/dashboard/safeguarding/?show=actioned").get_data(as_text=True)
    assert "Actioned" in actioned
    with app.app_context():
        flag = db.session.get(SafeguardingFlag, flag_id)
        assert flag is not None and flag.actioned_at is not None
        assert flag.action_note == "Passed to the school's safeguarding lead by phone"
        db.session.remove()
    actions = _actions(app)
    assert actions.count("safeguarding_queue_viewed") == 3
    assert actions.count("safeguarding_flag_viewed") == 2
    assert actions.count("safeguarding_flag_actioned") == 1


def test_admin_grants_the_safeguarding_permission(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_user: Callable[..., StaffMember],
) -> None:
    signed_in("admin")
    member = make_user(role="strategy")
    page = client.get(f"/admin/users/{member.id}").get_data(as_text=True)
    client.post(
        f"/admin/users/{member.id}",
        data={"csrf_token": csrf_token(page), "role": "strategy", "safeguarding": "y"},
    )
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user is not None and user.safeguarding and user.can_safeguard
        db.session.remove()
