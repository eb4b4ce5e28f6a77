"""Forms of the codebook editor.

The checks that need the codebook (pattern syntax, unique ids, concepts) are
made by `app.codebook.services`, which reports them against these fields.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from markupsafe import Markup, escape
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.codebook.services import GROUPS, NOTE_MAX

PATTERNS_HELP = (
    "One pattern per line. A line codes the theme when its words appear in a response, "
    "in that order."
)


class PatternsTextArea(GovTextArea):
    """A GOV.UK textarea that shows every error (one per bad line), not only the first."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        """Add all of the field's errors to the error message, one per line."""
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        if len(field.errors) > 1:
            lines = Markup("<br>").join(escape(message) for message in field.errors)
            params["errorMessage"] = {"html": lines}
        return params


class _BasedOn(FlaskForm):
    # The version the page was opened on: a save on top of a newer one is refused.
    based_on = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    note = TextAreaField(
        "Why are you making this change? (optional)",
        widget=GovTextArea(),
        description="Shown in the version history.",
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message="Note must be 500 characters or fewer"),
        ],
    )


class ThemeForm(_BasedOn):
    """Change a theme's label, definition, patterns and concepts."""

    label = StringField("Label", widget=GovTextInput())
    definition = TextAreaField(
        "Definition",
        widget=GovTextArea(),
        description=(
            "What a response must be about to have this theme. Staff read it when reviewing."
        ),
    )
    patterns = TextAreaField("Patterns", widget=PatternsTextArea(), description=PATTERNS_HELP)
    concepts = SelectMultipleField(
        "Core concepts this theme feeds", widget=GovCheckboxesInput(), validate_choice=False
    )
    submit = SubmitField("Save as a new version", widget=GovSubmitInput())


class NewThemeForm(ThemeForm):
    """Add a theme."""

    theme_id = StringField(
        "Theme id",
        widget=GovTextInput(),
        description=(
            "A short name used in exports and the API. It cannot be changed later. "
            "Lower-case letters, digits and underscores, like young_carers."
        ),
    )
    # Checked by the service with the other fields, so all errors show at once.
    group = RadioField(
        "What kind of theme is it?",
        widget=GovRadioInput(),
        choices=list(GROUPS.items()),
        validate_choice=False,
    )
    submit = SubmitField("Add theme", widget=GovSubmitInput())


class RetireForm(_BasedOn):
    """Confirm retiring or reinstating a theme."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class RetryForm(FlaskForm):
    """Start re-coding again (a CSRF token and a button)."""

    action = HiddenField(default="retry")
