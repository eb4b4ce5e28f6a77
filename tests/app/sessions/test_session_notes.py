"""Recording, reading, editing and deleting session notes through the pages."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, ConversationSession, Response
from tests.conftest import StaffMember, csrf_token


def _area_option(html: str, name: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    option = soup.find("option", string=name)
    assert option is not None, f"{name} not offered"
    return str(option["value"])


def _form(client: FlaskClient, url: str, **overrides: object) -> dict[str, object]:
    html = client.get(url).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    key = soup.find("input", {"name": "submission_key"})
    data: dict[str, object] = {
        "csrf_token": csrf_token(html),
        "submission_key": key["value"] if key else "",
        "area": _area_option(html, "Belgrave"),
        "held_on": ["14", "3", "2026"],
        "venue": "Belgrave Neighbourhood Centre",
        "audience": "young_people",
        "participants": "14",
        "facilitator": "Community lead",
        "notes_what_where": "- Fights outside the chicken shop\n* Robberies near the park\n",
        "notes_why": "1. Scared of being jumped\n2) Older boys pressure them\n",
        "notes_impact": "• Parents keep kids inside after dark",
        "notes_help": "a) More youth clubs open late\n\n(2) Mentors who have been through it",
    }
    data.update(overrides)
    return data


def _texts(app: Flask, session_id: int) -> dict[str, list[tuple[int, str]]]:
    with app.app_context():
        conversation = db.session.get(ConversationSession, session_id)
        assert conversation is not None
        result = {
            q: [(r.id, r.text) for r in conversation.responses_for(q)]
            for q in ("what_where", "why", "impact", "help")
        }
        db.session.remove()
    return result


def _record(client: FlaskClient) -> int:
    response = client.post("/sessions/new", data=_form(client, "/sessions/new"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_recording_a_session_saves_one_response_per_point(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    session_id = _record(client)
    texts = {q: [text for _id, text in points] for q, points in _texts(app, session_id).items()}
    assert texts == {
        "what_where": ["Fights outside the chicken shop", "Robberies near the park"],
        "why": ["Scared of being jumped", "Older boys pressure them"],
        "impact": ["Parents keep kids inside after dark"],
        "help": ["More youth clubs open late", "Mentors who have been through it"],
    }
    page = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Session saved with 7 points." in page
    soup = BeautifulSoup(page, "html.parser")
    points = [
        li.select_one(".app-point-text").get_text(strip=True)  # type: ignore[union-attr]
        for li in soup.select("li[id^=response-]")
    ]
    assert points == [
        "Fights outside the chicken shop",
        "Robberies near the park",
        "Scared of being jumped",
        "Older boys pressure them",
        "Parents keep kids inside after dark",
        "More youth clubs open late",
        "Mentors who have been through it",
    ]
    with app.app_context():
        responses = list(db.session.scalars(sa.select(Response)))
        assert {r.source for r in responses} == {"session"}
        assert {r.area.name for r in responses if r.area} == {"Belgrave"}
        db.session.remove()


def test_the_same_form_sent_twice_saves_one_session(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    data = _form(client, "/sessions/new")
    first = client.post("/sessions/new", data=data)
    second = client.post("/sessions/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ConversationSession.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 7
        db.session.remove()


def test_invalid_form_shows_the_error_summary_and_saves_nothing(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    data = _form(
        client,
        "/sessions/new",
        area="0",
        held_on=["31", "2", "2026"],
        venue="",
        participants="lots",
        notes_what_where="",
        notes_why="",
        notes_impact="",
        notes_help="",
    )
    response = client.post("/sessions/new", data=data)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None
    messages = [a.get_text(strip=True) for a in summary.select("a")]
    assert "Enter the venue" in messages
    assert "Enter the number of people taking part as a number, like 12" in messages
    assert soup.title is not None and soup.title.get_text().startswith("Error:")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ConversationSession.id))) == 0
        db.session.remove()


def test_a_session_needs_at_least_one_point(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    data = _form(
        client,
        "/sessions/new",
        notes_what_where="  \n- \n",
        notes_why="",
        notes_impact="",
        notes_help="",
    )
    response = client.post("/sessions/new", data=data)
    assert "Enter at least one point made in the session" in response.get_data(as_text=True)


def test_editing_keeps_the_identity_of_unchanged_and_lightly_edited_points(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    session_id = _record(client)
    before = _texts(app, session_id)
    edit_page = client.get(f"/sessions/{session_id}/edit").get_data(as_text=True)
    soup = BeautifulSoup(edit_page, "html.parser")
    textarea = soup.find("textarea", {"name": "notes_what_where"})
    assert textarea is not None
    assert textarea.get_text().strip() == "Fights outside the chicken shop\nRobberies near the park"
    data = _form(
        client,
        f"/sessions/{session_id}/edit",
        notes_what_where=(
            "Robberies near the park\nFights outside the chicken shops\nDealing in the alley"
        ),
        notes_why="Older boys pressure them",
    )
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    assert response.status_code == 302
    after = _texts(app, session_id)
    old_ids = {text: rid for rid, text in before["what_where"]}
    new = dict((text, rid) for rid, text in after["what_where"])
    assert new["Robberies near the park"] == old_ids["Robberies near the park"]
    assert new["Fights outside the chicken shops"] == old_ids["Fights outside the chicken shop"]
    assert new["Dealing in the alley"] not in old_ids.values()
    assert after["why"] == [(before["why"][1][0], "Older boys pressure them")]
    assert after["impact"] == before["impact"]
    banner = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Session updated: 1 added, 1 edited, 1 removed, 5 unchanged." in banner


def test_delete_asks_first_then_hides_the_session_and_audits_it(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
) -> None:
    lead = signed_in("lead", ("Belgrave",))
    session_id = _record(client)
    confirm = client.get(f"/sessions/{session_id}/delete")
    assert "Are you sure you want to delete this session?" in confirm.get_data(as_text=True)
    response = client.post(
        f"/sessions/{session_id}/delete",
        data={"csrf_token": csrf_token(confirm.get_data(as_text=True))},
    )
    assert response.status_code == 302
    assert "Belgrave Neighbourhood Centre" not in client.get("/sessions/").get_data(as_text=True)
    with app.app_context():
        conversation = db.session.get(ConversationSession, session_id)
        assert conversation is not None and conversation.deleted_at is not None
        assert len(conversation.responses) == 7
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "session_deleted")
        )
        assert (
            event is not None and event.actor_id == lead.id and event.target_id == str(session_id)
        )
        db.session.remove()


def test_list_filters_by_area_audience_and_dates(
    client: FlaskClient,
    make_session: Callable[..., int],
    signed_in: Callable[..., StaffMember],
) -> None:
    from datetime import date

    make_session(area="Belgrave", venue="Venue A", audience="residents", held_on=date(2026, 1, 5))
    make_session(
        area="Braunstone", venue="Venue B", audience="young_people", held_on=date(2026, 2, 5)
    )
    make_session(area="Braunstone", venue="Venue C", audience="residents", held_on=date(2026, 3, 5))
    signed_in("strategy")

    def venues(query: str) -> list[str]:
        html = client.get(f"/sessions/?{query}").get_data(as_text=True)
        soup = BeautifulSoup(html, "html.parser")
        return [row.select("td")[2].get_text(strip=True) for row in soup.select("tbody tr")]

    assert venues("") == ["Venue C", "Venue B", "Venue A"]
    assert venues("audience=residents") == ["Venue C", "Venue A"]
    assert venues("held_from=2026-02-01&held_to=2026-02-28") == ["Venue B"]
    html = client.get("/sessions/").get_data(as_text=True)
    braunstone = _area_option(html, "Braunstone")
    assert venues(f"area={braunstone}") == ["Venue C", "Venue B"]
    assert venues("held_from=not-a-date") == ["Venue C", "Venue B", "Venue A"]


def test_error_summary_links_point_at_inputs_on_the_page(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    data = _form(client, "/sessions/new", held_on=["", "", ""], venue="", area="0")
    soup = BeautifulSoup(
        client.post("/sessions/new", data=data).get_data(as_text=True), "html.parser"
    )
    summary = soup.select_one(".govuk-error-summary")
    assert summary is not None
    hrefs = [a["href"] for a in summary.select("a")]
    assert "#held_on-day" in hrefs and "#area" in hrefs and "#venue" in hrefs
    for href in hrefs:
        assert soup.find(id=str(href).lstrip("#")) is not None, href
