"""Forms for recording a session and importing notes."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.reference import AUDIENCES

MAX_NOTES_LENGTH = 20_000

QUESTION_FIELDS = {
    "what_where": "notes_what_where",
    "why": "notes_why",
    "impact": "notes_impact",
    "help": "notes_help",
}


def _not_in_future(form: FlaskForm, field: DateField) -> None:
    if field.data and field.data > date.today() + timedelta(days=1):
        raise ValidationError("Date the session was held must be today or in the past")


def _notes_field(label: str, hint: str) -> StringField:
    return StringField(
        label,
        widget=GovTextArea(),
        description=hint,
        validators=[
            Optional(),
            Length(
                max=MAX_NOTES_LENGTH,
                message=(
                    f"Notes under one question must be {MAX_NOTES_LENGTH:,} characters or fewer"
                ),
            ),
        ],
    )


class WholeNumberField(IntegerField):
    """An integer field whose error says what to type instead of "Not a valid integer"."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the number, allowing surrounding spaces and thousands separators."""
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip().replace(",", ""))
        except ValueError:
            self.data = None
            raise ValueError(
                "Enter the number of people taking part as a number, like 12"
            ) from None


class SessionForm(FlaskForm):
    """A community session and what was said under each of the four questions."""

    area = SelectField(
        "Area",
        widget=GovSelect(),
        coerce=int,
        validate_choice=True,
        validators=[InputRequired(message="Select the area")],
    )
    held_on = DateField(
        "Date the session was held",
        widget=GovDateInput(),
        format="%d %m %Y",
        description="For example, 27 3 2026",
        validators=[
            InputRequired(message="Enter the date the session was held, like 27 3 2026"),
            _not_in_future,
        ],
    )
    venue = StringField(
        "Venue",
        widget=GovTextInput(),
        description="For example, Braunstone Community Centre, or online",
        validators=[
            DataRequired(message="Enter the venue"),
            Length(max=200, message="Venue must be 200 characters or fewer"),
        ],
    )
    audience = RadioField(
        "Who took part",
        widget=GovRadioInput(),
        choices=list(AUDIENCES.items()),
        validators=[InputRequired(message="Select who took part")],
    )
    participants = WholeNumberField(
        "Number of people taking part",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the number of people taking part, like 12"),
            NumberRange(
                min=1, max=10_000, message="Number taking part must be between 1 and 10,000"
            ),
        ],
    )
    facilitator = StringField(
        "Facilitator",
        widget=GovTextInput(),
        description="Who led the conversation",
        validators=[
            DataRequired(message="Enter who led the conversation"),
            Length(max=200, message="Facilitator must be 200 characters or fewer"),
        ],
    )
    notes_what_where = _notes_field(
        "What and where knife crime issues exist within the local area and community",
        "One point per line. Bullets and numbers are removed.",
    )
    notes_why = _notes_field(
        "Why people carry knives and become involved in knife crime and other serious violence",
        "One point per line.",
    )
    notes_impact = _notes_field(
        "How knife crime has impacted on and affected local communities",
        "One point per line.",
    )
    notes_help = _notes_field(
        "How communities, organisations and services can help to reduce knife crime "
        "and serious violence",
        "One point per line.",
    )
    submission_key = HiddenField(validators=[Length(max=64)])

    def validate_area(self, field: SelectField) -> None:
        """The first option only prompts the choice; it is not an area."""
        if not field.data:
            raise ValidationError("Select the area")

    submit = SubmitField("Save session", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    """Upload a CSV or XLSX file of session notes."""

    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        description="A CSV or Excel (.xlsx) file, smaller than 10 MB, in the template's columns.",
        validators=[FileRequired(message="Select a CSV or XLSX file")],
    )
    submit = SubmitField("Import notes", widget=GovSubmitInput())


class DeleteForm(FlaskForm):
    """Confirm deleting a session."""

    submit = SubmitField("Yes, delete this session", widget=GovSubmitInput())


class FilterForm(FlaskForm):
    """Filters on the list of sessions (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    area = SelectField("Area", widget=GovSelect(), validators=[Optional()])
    audience = SelectField(
        "Who took part",
        widget=GovSelect(),
        choices=[("", "Any"), *AUDIENCES.items()],
        validators=[Optional()],
    )
    held_from = DateField(
        "Held on or after", widget=GovTextInput(), format="%Y-%m-%d", validators=[Optional()]
    )
    held_to = DateField(
        "Held on or before", widget=GovTextInput(), format="%Y-%m-%d", validators=[Optional()]
    )
