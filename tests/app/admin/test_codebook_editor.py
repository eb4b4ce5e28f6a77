"""Administrators edit the codebook: each change a new version, checked, audited, re-coded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

import analysis
from app.codebook import recoding, services
from app.coding import current_coder
from app.extensions import db
from app.models import (
    AuditEvent,
    CodebookVersion,
    RecodeJob,
    Response,
    ResponseCode,
    Theme,
    User,
)
from app.reference_data import load_reference_data
from tests.conftest import StaffMember, csrf_token

NONSENSE = "The zorbleflap gang hang round by the shops at night"


@pytest.fixture(autouse=True)
def _no_background_threads(app: Flask) -> Iterator[None]:
    """Jobs are run in the test's own thread unless a test starts the runner itself."""
    saved = {key: app.config.get(key) for key in ("RECODE_IN_BACKGROUND", "RECODE_PAUSE_SECONDS")}
    app.config["RECODE_IN_BACKGROUND"] = False
    app.config["RECODE_PAUSE_SECONDS"] = 0.0
    yield
    app.config.update(saved)


def _versions(app: Flask) -> list[int]:
    with app.app_context():
        numbers = list(
            db.session.scalars(sa.select(CodebookVersion.version).order_by(CodebookVersion.version))
        )
        db.session.remove()
    return numbers


def _theme_form(client: FlaskClient, theme_id: str) -> dict[str, Any]:
    """Read the edit form as the browser would submit it unchanged."""
    page = client.get(f"/admin/codebook/themes/{theme_id}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    patterns = soup.find("textarea", attrs={"name": "patterns"})
    assert patterns is not None
    form = patterns.find_parent("form")
    assert form is not None
    data: dict[str, Any] = {"concepts": []}
    for field in form.find_all(["input", "textarea"]):
        name = field.get("name")
        if not name or field.get("type") == "submit":
            continue
        if field.get("type") == "checkbox":
            if field.has_attr("checked"):
                data["concepts"].append(field["value"])
        elif field.name == "textarea":
            data[name] = field.get_text()
        else:
            data[name] = field.get("value", "")
    return data


def _run_jobs(app: Flask) -> None:
    with app.app_context():
        recoding.run_pending_jobs()
        db.session.remove()


def _codes_of(app: Flask, text: str) -> dict[str, ResponseCode]:
    with app.app_context():
        response = db.session.scalar(sa.select(Response).where(Response.text == text))
        assert response is not None
        codes = {code.theme_id: code for code in response.codes}
        for code in codes.values():
            db.session.expunge(code)
        db.session.remove()
    return codes


def test_reference_load_stores_the_shipped_codebook_as_version_one_once(app: Flask) -> None:
    with app.app_context():
        load_reference_data()
        db.session.commit()
        rows = list(db.session.scalars(sa.select(CodebookVersion)))
        assert [row.version for row in rows] == [1]
        content = rows[0].content
        fear = services.find_theme(content, "fear")
        assert fear is not None and len(fear["patterns"]) > 5 and fear["excludes"]
        assert content["lexicons"]["weapon"]
        # The stored version rebuilds exactly the shipped coder.
        assert current_coder().version == analysis.coder_version()
        db.session.remove()


def test_the_theme_list_shows_concepts_pattern_counts_status_and_version(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    page = client.get("/admin/codebook")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert "Version 1" in soup.get_text()
    row = soup.find("tr", attrs={"data-theme": "fear"})
    assert row is not None
    text = row.get_text(" ", strip=True)
    assert "Fear and feeling unsafe" in text and "In use" in text
    assert "Preventing crime and ensuring people feel safe and protected" in text
    assert any(cell.get_text().strip().isdigit() for cell in row.find_all("td"))
    nav = soup.find(class_="govuk-service-navigation__item--active")
    assert nav is not None and "Codebook" in nav.get_text()


def test_editing_a_theme_saves_a_new_version_and_recodes(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(points={"what_where": [NONSENSE]})
    before = _codes_of(app, NONSENSE)
    assert "fear" not in before
    admin = signed_in("admin")
    data = _theme_form(client, "fear")
    assert data["based_on"] == "1"
    data["label"] = "Fear, and feeling unsafe"
    data["patterns"] += "\n=zorbleflap ~2 gang\nscary ~1 zorble* [0.6]"
    data["note"] = "Local slang from the Braunstone session"
    response = client.post("/admin/codebook/themes/fear", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _versions(app) == [1, 2]
    with app.app_context():
        version = db.session.scalar(sa.select(CodebookVersion).where(CodebookVersion.version == 2))
        assert version is not None and version.created_by_id == admin.id
        assert version.note == "Local slang from the Braunstone session"
        fields = {change["field"]: change for change in version.changes}
        assert fields["label"]["before"] == "Fear and feeling unsafe"
        assert fields["patterns"]["added"] == ["=zorbleflap ~2 gang", "scary ~1 zorble* [0.6]"]
        assert fields["patterns"]["removed"] == []
        fear = services.find_theme(version.content, "fear")
        assert fear is not None
        assert {"p": "scary ~1 zorble*", "score": 0.6} in fear["patterns"]
        theme = db.session.get(Theme, "fear")
        assert theme is not None and theme.label == "Fear, and feeling unsafe"
        assert theme.codebook_version == 2
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "codebook_theme_edited")
        )
        assert event is not None and event.actor_id == admin.id
        assert event.details["version"] == 2 and event.details["patterns_added"] == 2
        job = db.session.scalar(sa.select(RecodeJob))
        assert job is not None and job.codebook_version == 2 and job.status == "queued"
        assert response.headers["Location"] == f"/admin/codebook/recoding/{job.id}"
        coder = current_coder()
        assert coder.version.startswith("rules-2.")
        db.session.remove()
    _run_jobs(app)
    after = _codes_of(app, NONSENSE)
    assert "fear" in after and after["fear"].coder_version == coder.version
    assert after["fear"].evidence[0]["text"] == "zorbleflap gang"
    with app.app_context():
        job = db.session.scalar(sa.select(RecodeJob))
        assert job is not None and job.status == "done" and job.done == job.total > 0
        stale = db.session.scalar(
            sa.select(sa.func.count(Response.id)).where(Response.coder_version != coder.version)
        )
        assert stale == 0
        db.session.remove()


def test_a_bad_pattern_is_reported_on_its_line_and_nothing_is_saved(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    data = _theme_form(client, "fear")
    original = data["patterns"]
    lines = original.split("\n")
    data["patterns"] = "\n".join([*lines, "~2 scared", "@nosuchlist ~1 knife", "fine [2]"])
    page = client.post("/admin/codebook/themes/fear", data=data)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.title is not None and soup.title.get_text().startswith("Error:")
    summary = soup.find(class_="govuk-error-summary")
    assert summary is not None
    assert summary.find("a", href="#patterns") is not None
    message = soup.find(id="patterns-error")
    assert message is not None
    text = message.get_text(" ", strip=True)
    n = len(lines)
    assert f"Line {n + 1} (~2 scared): a gap (~N) must come after a word" in text
    assert f"Line {n + 2} (@nosuchlist ~1 knife): there is no word list called @nosuchlist" in text
    assert "@weapon" in text
    assert f"Line {n + 3} (fine [2]): the score in square brackets must be a number" in text
    # What was typed stays in the box.
    textarea = soup.find("textarea", attrs={"name": "patterns"})
    assert textarea is not None and "@nosuchlist ~1 knife" in textarea.get_text()
    assert _versions(app) == [1]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RecodeJob.id))) == 0
        db.session.remove()


def test_empty_label_and_no_concepts_are_refused(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    data = _theme_form(client, "protection")
    data.update(label="  ", concepts=[])
    soup = BeautifulSoup(
        client.post("/admin/codebook/themes/protection", data=data).get_data(as_text=True),
        "html.parser",
    )
    label_error = soup.find(id="label-error")
    assert label_error is not None and "Enter a label" in label_error.get_text()
    concepts_error = soup.find(id="concepts-error")
    assert concepts_error is not None and "Select at least one core concept" in (
        concepts_error.get_text()
    )
    assert _versions(app) == [1]


def test_a_form_based_on_an_older_version_is_refused(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    mine = _theme_form(client, "fear")
    # Someone else saves a change (to another theme) after this page was opened.
    with app.app_context():
        other = db.session.scalar(sa.select(User).where(User.role == "admin"))
        assert other is not None
        services.edit_theme(
            "protection",
            based_on=1,
            label="Carrying for protection and self-defence",
            definition="Carrying a knife or weapon for self-defence.",
            patterns_text="for ~2 protection",
            concept_ids=["prevention_safety"],
            by=other,
        )
        db.session.commit()
        db.session.remove()
    mine["label"] = "My new label"
    page = client.post("/admin/codebook/themes/fear", data=mine)
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    summary = soup.find(class_="govuk-error-summary")
    assert summary is not None
    assert "saved version 2 of the codebook" in summary.get_text()
    assert "Your change has not been saved" in summary.get_text()
    assert soup.title is not None and soup.title.get_text().startswith("Error:")
    assert _versions(app) == [1, 2]
    with app.app_context():
        fear = db.session.get(Theme, "fear")
        assert fear is not None and fear.label == "Fear and feeling unsafe"
        db.session.remove()
    # Opened afresh, the form is based on version 2 and saves as version 3.
    fresh = _theme_form(client, "fear")
    assert fresh["based_on"] == "2"
    fresh["label"] = "My new label"
    assert client.post("/admin/codebook/themes/fear", data=fresh).status_code == 302
    assert _versions(app) == [1, 2, 3]
    with app.app_context():
        protection = db.session.get(Theme, "protection")
        assert protection is not None
        assert protection.label == "Carrying for protection and self-defence"
        db.session.remove()


def test_saving_with_nothing_changed_makes_no_version(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    response = client.post("/admin/codebook/themes/fear", data=_theme_form(client, "fear"))
    assert response.status_code == 302
    assert "no new version was saved" in client.get("/admin/codebook").get_data(as_text=True)
    assert _versions(app) == [1]


def test_retire_and_reinstate_keep_codes_and_history(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    scared = "I am scared to walk home from school"
    make_session(points={"impact": [scared]})
    assert "fear" in _codes_of(app, scared)
    signed_in("admin")
    confirm = client.get("/admin/codebook/themes/fear/retire")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Retire Fear and feeling unsafe?" in html
    assert _versions(app) == [1]
    response = client.post(
        "/admin/codebook/themes/fear/retire",
        data={"csrf_token": csrf_token(html), "based_on": "1", "note": ""},
    )
    assert response.status_code == 302
    _run_jobs(app)
    with app.app_context():
        fear = db.session.get(Theme, "fear")
        assert fear is not None and fear.retired_at is not None
        assert "fear" not in current_coder().codebook.theme_ids
        db.session.remove()
    # The code given while the theme was in use stays; new responses never get it.
    assert "fear" in _codes_of(app, scared)
    make_session(points={"impact": ["We are all scared now"]})
    assert "fear" not in _codes_of(app, "We are all scared now")
    listing = BeautifulSoup(client.get("/admin/codebook").get_data(as_text=True), "html.parser")
    row = listing.find("tr", attrs={"data-theme": "fear"})
    assert row is not None and "Retired" in row.get_text()
    # Retiring twice is not a change.
    assert client.get("/admin/codebook/themes/fear/retire").status_code == 302
    page = client.get("/admin/codebook/themes/fear/reinstate").get_data(as_text=True)
    response = client.post(
        "/admin/codebook/themes/fear/reinstate",
        data={"csrf_token": csrf_token(page), "based_on": "2"},
    )
    assert response.status_code == 302
    _run_jobs(app)
    assert _versions(app) == [1, 2, 3]
    with app.app_context():
        fear = db.session.get(Theme, "fear")
        assert fear is not None and fear.retired_at is None
        actions = list(
            db.session.scalars(
                sa.select(AuditEvent.action)
                .where(AuditEvent.action.like("codebook_%"))
                .order_by(AuditEvent.id)
            )
        )
        assert actions == ["codebook_theme_retired", "codebook_theme_reinstated"]
        db.session.remove()
    assert "fear" in _codes_of(app, "We are all scared now")
    history = client.get("/admin/codebook/history").get_data(as_text=True)
    assert "Retired theme Fear and feeling unsafe" in history
    assert "Reinstated theme Fear and feeling unsafe" in history


def test_adding_a_theme_checks_its_id_and_codes_with_it(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    homeless = "Lots of the lads are homeless and sofa surfing"
    make_session(points={"why": [homeless]})
    signed_in("admin")
    page = client.get("/admin/codebook/themes/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "based_on": "1",
        "theme_id": "Housing-Needs",
        "label": "Housing and homelessness",
        "definition": "Homelessness, temporary housing, sofa surfing.",
        "group": "driver",
        "patterns": "homeless*\n=sofa ~1 =surfing [0.8]",
        "concepts": ["support_opportunities"],
    }
    soup = BeautifulSoup(
        client.post("/admin/codebook/themes/new", data=data).get_data(as_text=True),
        "html.parser",
    )
    error = soup.find(id="theme_id-error")
    assert error is not None and "lower-case letters a to z" in error.get_text()
    data["theme_id"] = "fear"
    soup = BeautifulSoup(
        client.post("/admin/codebook/themes/new", data=data).get_data(as_text=True),
        "html.parser",
    )
    error = soup.find(id="theme_id-error")
    assert error is not None and "already a theme with the id fear" in error.get_text()
    assert _versions(app) == [1]
    data["theme_id"] = "housing"
    response = client.post("/admin/codebook/themes/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    _run_jobs(app)
    with app.app_context():
        theme = db.session.get(Theme, "housing")
        assert theme is not None and theme.codebook_version == 2
        assert [c.id for c in theme.concepts] == ["support_opportunities"]
        content = services.current().content
        ids = [t["id"] for t in content["themes"]]
        # Placed after the last theme of its group.
        assert ids.index("housing") == ids.index("school_exclusion") + 1
        db.session.remove()
    assert "housing" in _codes_of(app, homeless)


def test_only_administrators_reach_the_editor(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("strategy")
    for url in (
        "/admin/codebook",
        "/admin/codebook/themes/fear",
        "/admin/codebook/themes/new",
        "/admin/codebook/history",
        "/admin/codebook/themes/fear/retire",
    ):
        assert client.get(url).status_code == 403, url
    token = csrf_token(client.get("/sessions/").get_data(as_text=True))
    form = {"csrf_token": token, "based_on": "1", "label": "Taken over"}
    assert client.post("/admin/codebook/themes/fear", data=form).status_code == 403
    assert client.post("/admin/codebook/themes/fear/retire", data=form).status_code == 403
    assert _versions(app) == [1]


def test_unknown_theme_and_job_are_not_found(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    assert client.get("/admin/codebook/themes/no_such_theme").status_code == 404
    assert client.get("/admin/codebook/themes/no_such_theme/retire").status_code == 404
    assert client.get("/admin/codebook/recoding/999").status_code == 404


def test_the_progress_page_and_its_status_work_without_and_with_javascript(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session()
    signed_in("admin")
    data = _theme_form(client, "fear")
    data["patterns"] += "\nspooked"
    location = client.post("/admin/codebook/themes/fear", data=data).headers["Location"]
    page = client.get(location)
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.find(id="recode-status").get_text() == "Waiting to start"  # type: ignore[union-attr]
    refresh = soup.find(id="recode-refresh")
    assert refresh is not None and not refresh.has_attr("hidden")
    assert refresh.find("a")["href"] == location  # type: ignore[index,union-attr]
    # The script carries the page's CSP nonce.
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    scripts = soup.find_all("script")
    assert scripts and all(script.get("nonce") == nonce for script in scripts)
    _run_jobs(app)
    status = client.get(location + "/status").get_json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["done"] == status["total"] == 6
    finished = BeautifulSoup(client.get(location).get_data(as_text=True), "html.parser")
    progress = finished.find("progress")
    assert progress is not None and progress["value"] == progress["max"] == "6"
    assert "100%" in finished.get_text() and "Finished" in finished.get_text()


def test_a_save_starts_a_background_runner_that_finishes_the_job(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(points={"what_where": [NONSENSE]})
    signed_in("admin")
    data = _theme_form(client, "fear")
    data["patterns"] += "\n=zorbleflap"
    app.config["RECODE_IN_BACKGROUND"] = True
    try:
        assert client.post("/admin/codebook/themes/fear", data=data).status_code == 302
        thread = recoding._local_runner
        assert thread is not None and thread.name == "recode-runner"
        thread.join(timeout=60)
        assert not thread.is_alive()
    finally:
        app.config["RECODE_IN_BACKGROUND"] = False
    with app.app_context():
        job = db.session.scalar(sa.select(RecodeJob))
        assert job is not None and job.status == "done" and job.done == job.total == 1
        db.session.remove()
    assert "fear" in _codes_of(app, NONSENSE)
