"""CSRF tokens for survey pages: a random value in the respondent's session, signed and dated.

The same scheme as Flask-WTF's own tokens: the session holds a random value,
each page carries it signed with the app's secret key and a timestamp, and a
form is accepted only with a valid, unexpired signature over the session's
value. Flask-WTF serialises the value as compressed JSON before signing it,
which costs 70 µs on every page a respondent opens; signing the bare value
costs 8. A survey has twenty-odd page views per respondent, so the survey
forms sign their own (`SurveyCSRF`), under a session key and salt of their
own; staff forms keep Flask-WTF's.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any, Final

from flask import current_app, g, session
from itsdangerous import BadData, SignatureExpired, TimestampSigner
from wtforms import Field, Form, HiddenField
from wtforms.csrf.core import CSRF, CSRFTokenField
from wtforms.validators import ValidationError

__all__ = [
    "CSRF_TIME_LIMIT",
    "SurveyCSRF",
    "SurveyCSRFTokenField",
    "survey_csrf_token",
    "validate_survey_csrf_token",
]

# People may take over an hour on the survey; the token stays tied to their session.
CSRF_TIME_LIMIT: Final = 24 * 60 * 60
SESSION_KEY: Final = "survey_csrf"
_SALT: Final = "survey-csrf-token"


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.secret_key or "", salt=_SALT)


def survey_csrf_token() -> str:
    """Return this request's CSRF token for survey forms (the same for every form in it)."""
    token: str | None = g.get("survey_csrf_token")
    if token is None:
        value = session.get(SESSION_KEY)
        if not isinstance(value, str):
            value = secrets.token_hex(20)
            session[SESSION_KEY] = value
        token = _signer().sign(value).decode("ascii")
        g.survey_csrf_token = token
    return token


def validate_survey_csrf_token(token: Any) -> None:
    """Raise ValidationError unless `token` is a current, valid token for this session."""
    if not token or not isinstance(token, str):
        raise ValidationError("The CSRF token is missing.")
    value = session.get(SESSION_KEY)
    if not isinstance(value, str):
        raise ValidationError("The CSRF session token is missing.")
    try:
        signed_value = _signer().unsign(token, max_age=CSRF_TIME_LIMIT)
    except SignatureExpired as error:
        raise ValidationError("The CSRF token has expired.") from error
    except BadData as error:
        raise ValidationError("The CSRF token is invalid.") from error
    if not hmac.compare_digest(signed_value, value.encode("ascii")):
        raise ValidationError("The CSRF tokens do not match.")


class SurveyCSRFTokenField(CSRFTokenField):
    """The survey forms' hidden token, signed only when a page shows it.

    WTForms signs a token as it builds each form. Most survey forms are
    built to read an answer that is valid, saved and redirected on, so the
    token is never shown; signing it was a third of building the form.
    """

    def process(self, *args: Any, **kwargs: Any) -> None:
        """Take the submitted token, as any hidden field does, without signing a new one."""
        HiddenField.process(self, *args, **kwargs)

    @property
    def current_token(self) -> str:  # type: ignore[override]
        """This request's token, signed on first use (the same for every form in it)."""
        return str(self.csrf_impl.generate_csrf_token(self))


class SurveyCSRF(CSRF):
    """WTForms CSRF for survey page forms (set as the form's Meta.csrf_class)."""

    field_class = SurveyCSRFTokenField

    def generate_csrf_token(self, csrf_token_field: Field) -> str:
        """Return the token the form's hidden field carries."""
        return survey_csrf_token()

    def validate_csrf_token(self, form: Form, field: Field) -> None:
        """Reject the form unless its token is valid for this respondent's session."""
        validate_survey_csrf_token(field.data)
