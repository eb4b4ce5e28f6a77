"""Survey CSRF tokens: signed, dated, tied to the respondent's session, valid for a day."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g, session
from flask_wtf import FlaskForm
from itsdangerous import TimestampSigner
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import ValidationError

from surveys.csrf import (
    CSRF_TIME_LIMIT,
    SESSION_KEY,
    survey_csrf_token,
    validate_survey_csrf_token,
)
from surveys.forms import SurveyFormMeta


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


class _PageForm(FlaskForm):
    Meta = SurveyFormMeta
    answer = StringField()


def test_a_survey_form_signs_its_token_only_when_the_page_shows_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed: list[Any] = []
    sign = TimestampSigner.sign

    def counting_sign(signer: TimestampSigner, value: Any) -> bytes:
        signed.append(value)
        return sign(signer, value)

    monkeypatch.setattr(TimestampSigner, "sign", counting_sign)
    with app.test_request_context():
        token = survey_csrf_token()
        # As on the next page: the value is in the session, not yet signed for this request.
        del g.survey_csrf_token
        signed.clear()
        form = _PageForm(formdata=MultiDict({"answer": "an answer", "csrf_token": token}))
        assert form.validate()
        assert signed == []  # sent, valid, saved: no token to show
        shown = re.search(r'value="([^"]+)"', form.csrf_token())
        assert shown is not None and len(signed) == 1
        validate_survey_csrf_token(shown.group(1))
        refused = _PageForm(formdata=MultiDict({"answer": "an answer", "csrf_token": "forged"}))
        assert not refused.validate()
        assert refused.csrf_token.errors == ["The CSRF token is invalid."]
        # The page drawn again with the error carries a good token, not the forged one.
        assert refused.csrf_token.current_token == shown.group(1)
        assert "forged" not in refused.csrf_token()
