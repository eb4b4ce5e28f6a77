"""Forms for managing staff accounts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

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
    """Change someone's role and areas."""

    submit = SubmitField("Save changes", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A bare confirmation (deactivate, reactivate, new invitation link)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
