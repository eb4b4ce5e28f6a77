"""Forms for managing staff accounts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from app.reference import ROLES


class _RoleAndAreas(FlaskForm):
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=list(ROLES.items()),
        validators=[InputRequired(message="Select a role")],
    )
    areas = SelectMultipleField(
        "Areas they lead",
        widget=GovCheckboxesInput(),
        coerce=int,
        description="Community leads see and change only their own areas' sessions.",
    )

    def validate_areas(self, field: SelectMultipleField) -> None:
        """A community lead must hold at least one area."""
        if self.role.data == "lead" and not field.data:
            raise ValidationError("Select at least one area for a community lead")


class InviteUserForm(_RoleAndAreas):
    """Invite a new member of staff."""

    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter an email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[
            DataRequired(message="Enter their full name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    submit = SubmitField("Create invitation", widget=GovSubmitInput())


class EditUserForm(_RoleAndAreas):
    """Change someone's role, areas and safeguarding permission."""

    safeguarding = BooleanField(
        "Can see and act on safeguarding flags",
        widget=GovCheckboxInput(),
        description="Administrators always can. Give this only to trained staff.",
    )

    submit = SubmitField("Save changes", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A bare confirmation (deactivate, reactivate, new invitation link)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


class SurveySettingsForm(FlaskForm):
    """Open or close a survey, now or between dates."""

    accepting = RadioField(
        "Is the survey taking answers?",
        widget=GovRadioInput(),
        choices=[("yes", "Yes, open"), ("no", "No, closed")],
        validators=[InputRequired(message="Select whether the survey is open")],
    )
    opens_on = DateField(
        "Opens on (optional)",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="Leave empty to open as soon as it is switched on. For example, 1 12 2026",
        validators=[Optional()],
    )
    closes_on = DateField(
        "Closes on (optional)",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="The survey closes at the start of this day. For example, 31 1 2027",
        validators=[Optional()],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_closes_on(self, field: DateField) -> None:
        """A survey cannot close before it opens."""
        if field.data and self.opens_on.data and field.data <= self.opens_on.data:
            raise ValidationError("Closing date must be after the opening date")
