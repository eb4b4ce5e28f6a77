"""Survey CSRF tokens: signed, dated, tied to the respondent's session, valid for a day."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask, session
from wtforms.validators import ValidationError

from surveys.csrf import (
    CSRF_TIME_LIMIT,
    SESSION_KEY,
    survey_csrf_token,
    validate_survey_csrf_token,
)


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="a-test-secret-key-long-enough-0000")
    return app


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


def _rejected(token: object) -> str:
    with pytest.raises(ValidationError) as rejected:
        validate_survey_csrf_token(token)
    return str(rejected.value)


@pytest.mark.usefixtures("request_context")
def test_a_token_is_the_same_within_a_request_and_valid_for_its_session() -> None:
    token = survey_csrf_token()
    assert survey_csrf_token() == token
    assert session[SESSION_KEY] in token
    validate_survey_csrf_token(token)


def test_a_token_from_another_session_or_secret_or_tampered_is_rejected(app: Flask) -> None:
    with app.test_request_context():
        other_session = survey_csrf_token()
    with app.test_request_context():
        token = survey_csrf_token()
        assert _rejected(other_session) == "The CSRF tokens do not match."
        assert _rejected(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) == (
            "The CSRF token is invalid."
        )
        assert _rejected("") == "The CSRF token is missing."
        assert _rejected(["a", "list"]) == "The CSRF token is missing."
        assert _rejected("no signature at all") == "The CSRF token is invalid."
    app.config["SECRET_KEY"] = "another-secret-key-long-enough-00000"
    with app.test_request_context():
        session[SESSION_KEY] = token.split(".")[0]
        assert _rejected(token) == "The CSRF token is invalid."


@pytest.mark.usefixtures("request_context")
def test_a_token_lasts_a_day_then_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = survey_csrf_token()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 2 * 60 * 60)
    validate_survey_csrf_token(token)
    monkeypatch.setattr(time, "time", lambda: now + CSRF_TIME_LIMIT + 5)
    assert _rejected(token) == "The CSRF token has expired."


def test_a_session_without_a_token_value_rejects_any_token(app: Flask) -> None:
    with app.test_request_context():
        token = survey_csrf_token()
    with app.test_request_context():
        assert _rejected(token) == "The CSRF session token is missing."
