"""Completing the survey: answers become coded responses, once, with nothing identifying."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Response, ResponseCode, SurveyContact, SurveyDraft, SurveySubmission
from app.survey import services
from tests.app.survey.conftest import ADULT_ANSWERS, SURVEY, post_page, submit


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        number = db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        db.session.remove()
    return number


def test_complete_survey_creates_one_submission_with_coded_responses(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    check = answer_all(client)
    soup = BeautifulSoup(check.get_data(as_text=True), "html.parser")
    keys = [k.get_text(strip=True) for k in soup.select(".govuk-summary-list__key")]
    assert "Which area of Leicester do you live in or know best?" in keys
    values = [v.get_text(strip=True) for v in soup.select(".govuk-summary-list__value")]
    assert "Highfields" in values
    done = submit(client, check.get_data(as_text=True))
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/confirmation")
    confirmation = client.get(done.headers["Location"]).get_data(as_text=True)
    reference = BeautifulSoup(confirmation, "html.parser").select_one(".govuk-panel strong")
    assert reference is not None and reference.get_text().startswith("CV-")
    assert "0800 1111" in confirmation and "999" in confirmation
    with app.app_context():
        submission = db.session.scalar(sa.select(SurveySubmission))
        assert submission is not None
        assert submission.reference == reference.get_text()
        assert submission.area is not None and submission.area.name == "Highfields"
        assert submission.age_band == "18-24"
        assert submission.answers == {
            "area": "highfields",
            "connection": ["live", "study"],
            "age_band": "18-24",
            "safe_day": 4,
            "safe_after_dark": 2,
            "gender": "woman",
            "ethnic_group": "asian-indian",
        }
        responses = list(db.session.scalars(sa.select(Response).order_by(Response.position)))
        assert [(r.source, r.question_id, r.area.name if r.area else None) for r in responses] == [
            ("survey", "what_where", "Highfields"),
            ("survey", "why", "Highfields"),
            ("survey", "impact", "Highfields"),
            ("survey", "help", "Highfields"),
        ]
        why = responses[1]
        assert {c.theme_id for c in why.codes} >= {"fear", "protection"}
        assert why.coder_version is not None
        draft = db.session.scalar(sa.select(SurveyDraft))
        assert draft is not None and draft.submitted_at is not None and draft.answers == {}
        db.session.remove()


def test_double_submit_and_refresh_make_exactly_one_submission(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    check_html = answer_all(client).get_data(as_text=True)
    first = submit(client, check_html)
    second = submit(client, check_html)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"].endswith("/confirmation")
    assert client.get(f"{SURVEY}/check-your-answers").headers["Location"].endswith("/confirmation")
    assert _count(app, SurveySubmission) == 1
    assert _count(app, Response) == 4


def test_a_second_survey_from_the_same_browser_is_a_new_submission(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    submit(client, answer_all(client).get_data(as_text=True))
    submit(client, answer_all(client).get_data(as_text=True))
    assert _count(app, SurveySubmission) == 2


def test_slow_respondent_submits_after_the_csrf_token_would_have_expired(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any], monkeypatch: Any
) -> None:
    check_html = answer_all(client).get_data(as_text=True)
    import time

    later = time.time() + 2 * 60 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = submit(client, check_html)
    assert response.status_code == 302
    assert _count(app, SurveySubmission) == 1


def test_under_16s_skip_equality_and_contact(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    path = [(page, data) for page, data in ADULT_ANSWERS if page not in ("about-you", "contact")]
    path = [(p, {"age_band": "under-16"} if p == "age" else d) for p, d in path]
    check = answer_all(client, path)
    assert "gender" not in check.get_data(as_text=True).lower()
    assert client.get(f"{SURVEY}/about-you").status_code == 302
    submit(client, check.get_data(as_text=True))
    with app.app_context():
        submission = db.session.scalar(sa.select(SurveySubmission))
        assert submission is not None and "gender" not in submission.answers
        db.session.remove()


def test_changing_age_to_under_16_drops_equality_answers(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    answer_all(client)
    changed = post_page(client, "age", {"age_band": "under-16"}, change="1")
    assert changed.headers["Location"].endswith("/check-your-answers")
    check = client.get(f"{SURVEY}/check-your-answers").get_data(as_text=True)
    assert "Woman" not in check
    submit(client, check)
    with app.app_context():
        submission = db.session.scalar(sa.select(SurveySubmission))
        assert submission is not None
        assert "gender" not in submission.answers and "ethnic_group" not in submission.answers
        db.session.remove()


def test_contact_details_are_stored_apart_from_the_answers(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    path = [(p, {"contact_opt_in": ["yes"]} if p == "contact" else d) for p, d in ADULT_ANSWERS]
    path.append(("contact-details", {"contact_details": "someone@example.org"}))
    submit(client, answer_all(client, path).get_data(as_text=True))
    with app.app_context():
        contact = db.session.scalar(sa.select(SurveyContact))
        submission = db.session.scalar(sa.select(SurveySubmission))
        assert contact is not None and submission is not None
        assert contact.contact == "someone@example.org"
        assert len(contact.id) == 32
        assert "contact_opt_in" not in submission.answers
        assert "someone@example.org" not in str(submission.answers)
        columns = set(SurveySubmission.__table__.columns.keys())
        assert not columns & {"ip", "ip_address", "user_agent", "remote_addr", "contact_id"}
        db.session.remove()


def test_ticking_the_opt_in_through_a_change_link_asks_for_the_details(
    client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    answer_all(client)
    ticked = post_page(client, "contact", {"contact_opt_in": ["yes"]}, change="1")
    assert "/contact-details" in ticked.headers["Location"]


def test_honeypot_submissions_are_thanked_but_not_saved(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    path = list(ADULT_ANSWERS)
    path[0] = ("area", {"area": "highfields", "website": "http://spam.example"})
    done = submit(client, answer_all(client, path).get_data(as_text=True))
    assert done.headers["Location"].endswith("/confirmation")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Thank you, your answers have been sent" in page
    assert _count(app, SurveySubmission) == 0 and _count(app, Response) == 0


def test_a_honeypot_draft_is_not_coded(
    app: Flask,
    client: FlaskClient,
    answer_all: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coded: list[str] = []
    code_answers = services.code_answers_in_advance

    def counting(defn: Any, answers: Any) -> Any:
        coded.append(defn.id)
        return code_answers(defn, answers)

    monkeypatch.setattr(services, "code_answers_in_advance", counting)
    path = list(ADULT_ANSWERS)
    path[0] = ("area", {"area": "highfields", "website": "http://spam.example"})
    submit(client, answer_all(client, path).get_data(as_text=True))
    assert coded == []
    # A person's submission is still coded before it is saved.
    person = app.test_client()
    submit(person, answer_all(person).get_data(as_text=True))
    assert coded == ["have-your-say"]


def test_required_answers_are_enforced_and_jumping_ahead_is_redirected(
    client: FlaskClient,
) -> None:
    response = post_page(client, "area", {})
    assert response.status_code == 200
    assert "Select the area you live in or know best" in response.get_data(as_text=True)
    jump = client.get(f"{SURVEY}/why")
    assert jump.status_code == 302 and jump.headers["Location"].endswith("/area")
    assert (
        client.get(f"{SURVEY}/check-your-answers").headers["Location"].endswith("/have-your-say/")
    )
    assert client.get(f"{SURVEY}/no-such-page").status_code == 404
    assert client.get("/survey/no-such-survey/").status_code == 404


def test_long_and_hostile_answers(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    answer_all(client, ADULT_ANSWERS[:3])
    too_long = post_page(client, "what-where", {"what_where": "x" * 2001})
    assert too_long.status_code == 200
    assert "2,000 characters or fewer" in too_long.get_data(as_text=True)
    hostile = '<script>alert(1)</script>\x00\x07 by the "park"'
    assert post_page(client, "what-where", {"what_where": hostile}).status_code == 302
    check = client.get(f"{SURVEY}/check-your-answers").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in check
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in check
    assert "\x00" not in check and "\x07" not in check


def test_pages_signpost_help_and_make_no_third_party_requests(client: FlaskClient) -> None:
    start = client.get(f"{SURVEY}/").get_data(as_text=True)
    assert "privacy notice" in start.lower()
    for page_id in ("area",):
        html = client.get(f"{SURVEY}/{page_id}").get_data(as_text=True)
        assert 'href="/survey/privacy"' in html
    post_page(client, "area", {"area": "belgrave"})
    post_page(client, "connection", {"connection": ["live"]})
    post_page(client, "age", {"age_band": "25-34"})
    open_page = client.get(f"{SURVEY}/what-where").get_data(as_text=True)
    for text in ("999", "101", "0800 555 111", "fearless.org", "0800 1111"):
        assert text in open_page
    import re

    for html in (start, open_page):
        for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
            assert not url.startswith(("http:", "https:", "//")), url


def test_privacy_notice(client: FlaskClient) -> None:
    html = client.get("/survey/privacy").get_data(as_text=True)
    assert "We do not keep your IP address" in html


def test_survey_responses_are_exported(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    submit(client, answer_all(client).get_data(as_text=True))
    result = app.test_cli_runner().invoke(args=["export", "responses"])
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert all(",survey,Highfields," in line for line in lines[1:])


def test_codes_exist_for_survey_answers(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any]
) -> None:
    submit(client, answer_all(client).get_data(as_text=True))
    assert _count(app, ResponseCode) >= 4


def test_cached_blank_pages_carry_each_respondents_own_token_and_nonce(app: Flask) -> None:
    import re

    pages = []
    for _ in range(2):
        respondent = app.test_client()
        response = respondent.get(f"{SURVEY}/area")
        html = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert nonce and token
        assert f'nonce="{nonce.group(1)}"' in html
        assert "placeholder-" not in html
        pages.append((token.group(1), nonce.group(1)))
        sent = respondent.post(
            f"{SURVEY}/area", data={"area": "belgrave", "csrf_token": token.group(1)}
        )
        assert sent.status_code == 302
    assert pages[0][0] != pages[1][0] and pages[0][1] != pages[1][1]


def test_cached_confirmation_pages_show_each_respondents_own_reference(
    app: Flask, answer_all: Callable[..., Any]
) -> None:
    import re

    references = []
    for _ in range(2):
        respondent = app.test_client()
        submit(respondent, answer_all(respondent).get_data(as_text=True))
        response = respondent.get(f"{SURVEY}/confirmation")
        html = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        shown = re.findall(r"CV-[A-Z0-9]{4}-[A-Z0-9]{4}", html)
        assert nonce and f'nonce="{nonce.group(1)}"' in html
        assert "placeholder-" not in html
        assert len(set(shown)) == 1
        references.append(shown[0])
    with app.app_context():
        stored = set(db.session.scalars(sa.select(SurveySubmission.reference)))
    assert references[0] != references[1]
    assert set(references) <= stored


def test_cached_check_your_answers_pages_show_each_respondents_own_answers(
    app: Flask, answer_all: Callable[..., Any]
) -> None:
    from app.survey.page_cache import placeholder

    quoted = placeholder("answer-impact")
    first = [
        *(
            (page, {"why": f"<b>Scared</b> & {quoted}\nof being jumped"})
            if page == "why"
            else (page, data)
            for page, data in ADULT_ANSWERS
        )
    ]
    shown = []
    for path in (first, ADULT_ANSWERS):
        respondent = app.test_client()
        html = answer_all(respondent, path).get_data(as_text=True)
        soup = BeautifulSoup(html, "html.parser")
        values = {
            row.select_one(".govuk-summary-list__key").get_text(strip=True): row.select_one(
                ".govuk-summary-list__value"
            )
            for row in soup.select(".govuk-summary-list__row")
        }
        why = values["Why do you think some people carry knives?"]
        shown.append(
            (why, values["How has knife crime affected you, your family or the people around you?"])
        )
        assert "csrf-placeholder" not in html and "nonce-placeholder" not in html
        assert submit(respondent, html).status_code == 302
    (first_why, first_impact), (second_why, _) = shown
    # Escaped, with the line break kept, and a quoted placeholder shown as typed.
    assert first_why.decode_contents().strip() == (
        f"&lt;b&gt;Scared&lt;/b&gt; &amp; {quoted}<br/>of being jumped"
    )
    assert first_impact.get_text(strip=True) == "Parents keep their kids inside after dark"
    assert second_why.get_text(strip=True) == ADULT_ANSWERS[4][1]["why"]
