"""The dashboard's filters (a GET form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSelect, GovTextInput
from wtforms import BooleanField, DateField, SelectField
from wtforms.validators import Optional

from app.reference import AUDIENCES, SOURCES


class DashboardFilterForm(FlaskForm):
    """Area, question, source, audience, age band, dates, reviewed only."""

    class Meta:
        csrf = False

    area = SelectField("Area", widget=GovSelect(), validators=[Optional()])
    question = SelectField("Question", widget=GovSelect(), validators=[Optional()])
    source = SelectField(
        "Source",
        widget=GovSelect(),
        choices=[("", "Sessions and survey"), *SOURCES.items()],
        validators=[Optional()],
    )
    audience = SelectField(
        "Who took part (sessions)",
        widget=GovSelect(),
        choices=[("", "Any"), *AUDIENCES.items()],
        validators=[Optional()],
    )
    age_band = SelectField("Age (survey)", widget=GovSelect(), validators=[Optional()])
    date_from = DateField("From", widget=GovTextInput(), format="%Y-%m-%d", validators=[Optional()])
    date_to = DateField("To", widget=GovTextInput(), format="%Y-%m-%d", validators=[Optional()])
    reviewed_only = BooleanField(
        "Only responses a person has reviewed", widget=GovCheckboxInput(), validators=[Optional()]
    )
