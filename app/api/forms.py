"""Forms of the API tokens page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from app.api.services import DEFAULT_LIFETIME_DAYS, LIFETIME_DAYS, NAME_MAX_LENGTH


class CreateTokenForm(FlaskForm):
    """Name a new token and choose how long it lasts."""

    name = StringField(
        "Name",
        widget=GovTextInput(),
        description="So you can tell your tokens apart, for example 'Quarterly report script'.",
        validators=[
            DataRequired(message="Enter a name for the token"),
            Length(
                max=NAME_MAX_LENGTH,
                message=f"Name must be {NAME_MAX_LENGTH} characters or fewer",
            ),
        ],
    )
    lifetime = RadioField(
        "How long should it last?",
        widget=GovRadioInput(),
        coerce=int,
        choices=[(days, f"{days} days") for days in LIFETIME_DAYS],
        default=DEFAULT_LIFETIME_DAYS,
        validators=[InputRequired(message="Select how long the token should last")],
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())


class RevokeTokenForm(FlaskForm):
    """Confirm revoking a token (the form carries only the CSRF token)."""
