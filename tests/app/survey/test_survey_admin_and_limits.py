"""Opening and closing surveys, previews, broken definitions, rate limits and retention."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, Survey, SurveyContact, SurveySubmission
from tests.app.survey.conftest import SURVEY, post_page, submit
from tests.conftest import StaffMember, csrf_token


def _submissions(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(SurveySubmission.id))) or 0
        db.session.remove()
    return count


def _close(app: Flask, **fields: Any) -> None:
    with app.app_context():
        from app.survey.services import survey_row

        survey = survey_row("have-your-say")
        for key, value in {"accepting": False, **fields}.items():
            setattr(survey, key, value)
        db.session.commit()
        db.session.remove()


def test_a_closed_survey_shows_a_friendly_page_and_saves_nothing(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    check = answer_all(client)
    _close(app)
    for url in (f"{SURVEY}/", f"{SURVEY}/area", f"{SURVEY}/check-your-answers"):
        page = client.get(url)
        assert page.status_code == 200
        assert "This survey is closed" in page.get_data(as_text=True)
    assert submit(client, check.get_data(as_text=True)).status_code == 200
    assert _submissions(app) == 0


def test_a_survey_opening_later_says_when(app: Flask, client: FlaskClient) -> None:
    from app.models import utcnow

    _close(app, accepting=True, opens_at=utcnow() + timedelta(days=3))
    html = client.get(f"{SURVEY}/").get_data(as_text=True)
    assert "This survey opens on" in html


def test_admin_lists_closes_and_reopens_surveys(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    answer_all: Callable[..., Any],
) -> None:
    respondent = app.test_client()
    submit(respondent, answer_all(respondent).get_data(as_text=True))
    signed_in("admin")
    listing = BeautifulSoup(client.get("/admin/surveys").get_data(as_text=True), "html.parser")
    cells = [td.get_text(strip=True) for td in listing.select("tbody tr td")]
    assert cells[0] == "Knife crime and serious violence: have your say"
    assert cells[1] == "Open" and cells[2] == "1"
    page = client.get("/admin/surveys/have-your-say")
    token = csrf_token(page.get_data(as_text=True))
    client.post("/admin/surveys/have-your-say", data={"csrf_token": token, "accepting": "no"})
    assert "This survey is closed" in app.test_client().get(f"{SURVEY}/").get_data(as_text=True)
    bad = client.post(
        "/admin/surveys/have-your-say",
        data={
            "csrf_token": token,
            "accepting": "yes",
            "opens_on": ["10", "1", "2027"],
            "closes_on": ["1", "1", "2027"],
        },
    )
    assert "Closing date must be after the opening date" in bad.get_data(as_text=True)
    client.post("/admin/surveys/have-your-say", data={"csrf_token": token, "accepting": "yes"})
    assert "Start now" in app.test_client().get(f"{SURVEY}/").get_data(as_text=True)
    with app.app_context():
        actions = list(
            db.session.scalars(
                sa.select(AuditEvent.action).where(AuditEvent.action == "survey_settings_changed")
            )
        )
        db.session.remove()
    assert len(actions) == 2
    assert client.get("/admin/surveys/no-such-survey").status_code == 404


def test_admin_preview_works_while_closed_and_saves_nothing(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    answer_all: Callable[..., Any],
) -> None:
    _close(app)
    signed_in("admin")
    token = csrf_token(client.get("/admin/surveys/have-your-say").get_data(as_text=True))
    start = client.post("/admin/surveys/have-your-say/preview", data={"csrf_token": token})
    assert start.headers["Location"].endswith("/survey/have-your-say/")
    assert "Nothing you enter will be saved" in client.get(f"{SURVEY}/").get_data(as_text=True)
    done = submit(client, answer_all(client).get_data(as_text=True))
    assert "Nothing was saved" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert _submissions(app) == 0


def test_a_broken_definition_stops_start_up_with_file_field_and_problem(tmp_path: Path) -> None:
    from app import create_app
    from config import TestConfig
    from surveys import DEFINITIONS_DIR, SurveyDefinitionError

    broken = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, broken)
    target = broken / "have-your-say.yaml"
    target.write_text(
        target.read_text(encoding="utf-8").replace("type: long_text", "type: essay", 1),
        encoding="utf-8",
    )

    class Broken(TestConfig):
        SURVEY_DEFINITIONS_DIR = str(broken)

    with pytest.raises(SurveyDefinitionError) as error:
        create_app(Broken)
    message = str(error.value)
    assert "have-your-say.yaml" in message
    assert ".type" in message and "essay" in message
    assert "\n" not in message


def test_a_school_class_sharing_one_address_is_not_blocked(
    app: Flask, answer_all: Callable[..., Any]
) -> None:
    for _ in range(30):
        pupil = app.test_client()
        check = answer_all(pupil)
        assert submit(pupil, check.get_data(as_text=True)).status_code == 302
    assert _submissions(app) == 30


def test_a_flood_from_one_address_is_stopped(app: Flask, client: FlaskClient) -> None:
    app.config["SURVEY_POSTS_PER_ADDRESS"] = "20 per 10 minutes"
    try:
        statuses = [post_page(client, "area", {"area": "belgrave"}).status_code for _ in range(22)]
    finally:
        app.config["SURVEY_POSTS_PER_ADDRESS"] = "1500 per 10 minutes"
    assert statuses[:20] == [302] * 20
    assert statuses[20:] == [429, 429]


def test_purge_contacts_deletes_only_old_details(app: Flask) -> None:
    with app.app_context():
        from app.survey.services import survey_row

        survey_row("have-your-say")
        db.session.add_all(
            [
                SurveyContact(
                    id="a" * 32,
                    survey_id="have-your-say",
                    contact="old@example.org",
                    created_on=date.today() - timedelta(days=200),
                ),
                SurveyContact(
                    id="b" * 32,
                    survey_id="have-your-say",
                    contact="new@example.org",
                    created_on=date.today() - timedelta(days=10),
                ),
            ]
        )
        db.session.commit()
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["survey", "purge-contacts"])
    assert "Deleted 1 contact detail(s) older than 183 days." in result.output
    with app.app_context():
        left = list(db.session.scalars(sa.select(SurveyContact.contact)))
        db.session.remove()
    assert left == ["new@example.org"]


def test_purge_drafts(app: Flask, client: FlaskClient) -> None:
    post_page(client, "area", {"area": "belgrave"})
    result = app.test_cli_runner().invoke(
        args=["survey", "purge-drafts", "--older-than-hours", "1"]
    )
    assert "Deleted 0 draft(s)" in result.output
    with app.app_context():
        from app.models import SurveyDraft, utcnow

        db.session.execute(sa.update(SurveyDraft).values(updated_at=utcnow() - timedelta(hours=30)))
        db.session.commit()
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["survey", "purge-drafts"])
    assert "Deleted 1 draft(s) older than 24 hours." in result.output


def test_survey_row_is_created_by_reference_load(app: Flask) -> None:
    app.test_cli_runner().invoke(args=["reference", "load"])
    with app.app_context():
        assert db.session.get(Survey, "have-your-say") is not None
        db.session.remove()


def test_the_open_state_is_remembered_briefly_and_forgotten_on_change(app: Flask) -> None:
    from app.survey import services

    app.config["SURVEY_OPEN_STATE_SECONDS"] = 60.0
    try:
        with app.test_request_context():
            services.forget_open_states()
            assert services.survey_is_open("have-your-say") is True
            db.session.commit()
        _close(app)
        with app.test_request_context():
            assert services.survey_is_open("have-your-say") is True  # still remembered
            services.forget_open_states()
            assert services.survey_is_open("have-your-say") is False
            db.session.commit()
    finally:
        app.config["SURVEY_OPEN_STATE_SECONDS"] = 0.0
        services.forget_open_states()
