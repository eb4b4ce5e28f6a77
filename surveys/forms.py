"""WTForms for survey pages, built from the definition with GOV.UK Frontend widgets.

Each page gets one form class (cached): a field per question, named by question id,
plus the CSRF token and a "website" honeypot that the app hides and checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any, Final

from flask import render_template
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovTextInput,
)
from markupsafe import Markup
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional, StopValidation, ValidationError

from surveys.csrf import SurveyCSRF
from surveys.definition import Page, Question, is_answered

__all__ = [
    "HONEYPOT_FIELD",
    "SurveyFormMeta",
    "answers_from_form",
    "clean_line",
    "clean_text",
    "form_data_for",
    "page_form_class",
]

HONEYPOT_FIELD: Final = "website"
INVALID_CHOICE: Final = "Select one of the options shown"

# C0 and C1 control characters (newline and tab are handled separately) and the bidi
# embedding, override and isolate characters, which can make text shown to staff read
# differently from what was typed. Left-to-right and right-to-left marks stay: Arabic
# and Urdu text needs them.
_CONTROL: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK: Final = re.compile("\r\n|\r|\u2028|\u2029|\x85")


def clean_text(value: str | None) -> str | None:
    """Multi-line text without control characters, newlines kept as ``\\n``, trimmed.

    Browsers send a newline as two characters (CRLF); counting it as one keeps the limit
    the same as the character count people see while typing.
    """
    if value is None:
        return None
    text = _LINE_BREAK.sub("\n", value).replace("\t", " ")
    return _CONTROL.sub("", text).strip()


def clean_line(value: str | None) -> str | None:
    """Single-line text without control characters or line breaks, trimmed."""
    if value is None:
        return None
    text = _LINE_BREAK.sub(" ", value).replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub("", text).strip()


def _lower_first(text: str) -> str:
    # "Email address" -> "email address", but leave "UK postcode" alone.
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def required_message(question: Question) -> str:
    """The error shown when a required question is left blank, in GOV.UK style."""
    if question.required_message:
        return question.required_message
    label = question.label.strip()
    is_question = label.endswith("?")
    if question.type in ("short_text", "long_text"):
        return "Enter your answer" if is_question else f"Enter {_lower_first(label)}"
    if question.type == "multiple_choice" and is_question:
        return "Select at least one answer"
    return "Select an answer" if is_question else f"Select {_lower_first(label)}"


def length_message(max_length: int) -> str:
    """The error shown when a text answer is too long."""
    return f"Your answer must be {max_length:,} characters or fewer"


class _Required:
    """Fails with a friendly message when there is no answer.

    Unlike WTForms' DataRequired it sets no "required" flag, so the widgets do not add
    the HTML required attribute: GOV.UK pages show their own errors, not the browser's.
    """

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if not is_answered(field.data):
            field.errors[:] = []
            raise StopValidation(self.message)


class _Exclusive:
    """Fails when an exclusive option ("Prefer not to say") is ticked with others."""

    def __init__(self, question: Question) -> None:
        self.exclusive = {o.value: o.label for o in question.options if o.exclusive}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        chosen = field.data or []
        if len(chosen) < 2:
            return
        for value in chosen:
            if value in self.exclusive:
                raise ValidationError(
                    f"Select '{self.exclusive[value]}' on its own, or choose other answers"
                )


class SurveyRadioField(RadioField):
    """Radios where no answer is left to the required check and a made-up value is refused."""

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse values that are not among the choices; allow no answer."""
        if self.process_errors or self.data is None:
            return
        if self.data not in {value for value, _label in self.choices}:  # type: ignore[union-attr]
            raise ValidationError(INVALID_CHOICE)


class SurveyCheckboxesField(SelectMultipleField):
    """Checkboxes that refuse made-up values with a plain message."""

    def pre_validate(self, form: FlaskForm) -> None:
        """Refuse values that are not among the choices."""
        if self.process_errors or not self.data:
            return
        allowed = {value for value, _label in self.choices}  # type: ignore[union-attr]
        if any(value not in allowed for value in self.data):
            raise ValidationError(INVALID_CHOICE)


def _heading_label(params: dict[str, Any], key: str, size_class: str) -> None:
    label = params.get(key)
    if isinstance(label, dict):
        label.setdefault("isPageHeading", True)
        label.setdefault("classes", size_class)


def _legend(params: dict[str, Any]) -> dict[str, Any]:
    fieldset = params.setdefault("fieldset", {})
    legend: dict[str, Any] = fieldset.setdefault("legend", {})
    return legend


class _OptionsMixin:
    """Adds option hints, exclusive behaviour and a page-heading legend to choice widgets."""

    question: Question
    page_heading: bool

    def _finish(self, params: dict[str, Any]) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        for item in params.get("items", []):
            option = self.question.option(str(item.get("value")))
            if option is not None and option.hint:
                item.setdefault("hint", {"text": option.hint})
            if option is not None and option.exclusive:
                item.setdefault("behaviour", "exclusive")
                if items:
                    items.append({"divider": "or"})
            items.append(item)
        params["items"] = items
        hint = params.get("hint")
        if isinstance(hint, dict) and not (hint.get("text") or hint.get("html")):
            # govuk-frontend-wtf always passes a hint; an empty one renders an empty div.
            del params["hint"]
        if self.page_heading:
            legend = _legend(params)
            legend.setdefault("isPageHeading", True)
            legend.setdefault("classes", "govuk-fieldset__legend--l")
        return params


@lru_cache(maxsize=2048)
def _render_widget(template: str, params_json: str) -> Markup:
    # render_template escapes everything it is given: its output is safe HTML.
    return Markup(render_template(template, params=json.loads(params_json)))  # noqa: S704


class _CachedRender:
    """Render each distinct set of GOV.UK macro params once per process.

    A widget's HTML depends only on its params, and the survey's pages are
    rendered thousands of times with the same few: the macros (radios above
    all) cost several times the rest of the page. Params that carry free text
    typed by a respondent are never cached, so no answer is kept in memory.
    """

    template: str

    def render(self, params: dict[str, Any]) -> Markup:
        """Return the widget HTML, from the cache when these params were seen before."""
        value = params.get("value")
        if isinstance(value, str) and value.strip():
            return super().render(params)  # type: ignore[misc,no-any-return]
        return _render_widget(self.template, json.dumps(params, sort_keys=True, default=str))


class SurveyRadios(_CachedRender, _OptionsMixin, GovRadioInput):
    """GOV.UK radios for a single choice or scale question."""

    def __init__(self, question: Question, page_heading: bool) -> None:
        """Remember the question (for option hints) and whether it is the page heading."""
        self.question = question
        self.page_heading = page_heading

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        """The GOV.UK macro params, with option hints and the heading legend."""
        return self._finish(super().map_gov_params(field, **kwargs))


class SurveyCheckboxes(_CachedRender, _OptionsMixin, GovCheckboxesInput):
    """GOV.UK checkboxes; an exclusive option gets an "or" divider and unticks the others."""

    def __init__(self, question: Question, page_heading: bool) -> None:
        """Remember the question (for option hints) and whether it is the page heading."""
        self.question = question
        self.page_heading = page_heading

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        """The GOV.UK macro params, with option hints, exclusive behaviour and the legend."""
        return self._finish(super().map_gov_params(field, **kwargs))


class SurveyTextInput(_CachedRender, GovTextInput):
    """A GOV.UK text input whose label can be the page heading."""

    def __init__(self, page_heading: bool = False) -> None:
        """Say whether the label is the page heading."""
        super().__init__()
        self.page_heading = page_heading

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        """The GOV.UK macro params, with the heading label."""
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        if self.page_heading:
            _heading_label(params, "label", "govuk-label--l")
        return params


class SurveyCharacterCount(_CachedRender, GovCharacterCount):
    """A GOV.UK textarea with a character count showing the question's limit."""

    def __init__(self, max_length: int, page_heading: bool = False) -> None:
        """Set the limit shown to people and whether the label is the page heading."""
        super().__init__()
        self.max_length = max_length
        self.page_heading = page_heading

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        """The GOV.UK macro params, with the limit and the heading label."""
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        params.setdefault("maxlength", self.max_length)
        params.setdefault("rows", 8)
        if self.page_heading:
            _heading_label(params, "label", "govuk-label--l")
        return params


def _text_field(question: Question, page_heading: bool) -> Field:
    max_length = question.max_length or 0
    validators: list[Callable[..., None]] = [
        _Required(required_message(question)) if question.required else Optional(),
        Length(max=max_length, message=length_message(max_length)),
    ]
    if question.type == "long_text":
        return TextAreaField(
            question.label,
            description=question.hint or "",
            validators=validators,
            filters=[clean_text],
            widget=SurveyCharacterCount(max_length, page_heading),
        )
    return StringField(
        question.label,
        description=question.hint or "",
        validators=validators,
        filters=[clean_line],
        widget=SurveyTextInput(page_heading),
    )


def _scale_label(question: Question, point: int) -> str:
    label = question.scale_labels.get(point)
    return f"{point} - {label}" if label else str(point)


def _coerce_scale(value: Any) -> int:
    return int(str(value).strip())


def _field(question: Question, page_heading: bool) -> Field:
    if question.type in ("short_text", "long_text"):
        return _text_field(question, page_heading)
    required: list[Callable[..., None]] = (
        [_Required(required_message(question))] if question.required else []
    )
    if question.type == "single_choice":
        return SurveyRadioField(
            question.label,
            description=question.hint or "",
            choices=[(o.value, o.label) for o in question.options],
            validators=required,
            widget=SurveyRadios(question, page_heading),
        )
    if question.type == "multiple_choice":
        return SurveyCheckboxesField(
            question.label,
            description=question.hint or "",
            choices=[(o.value, o.label) for o in question.options],
            validators=[*required, _Exclusive(question)],
            widget=SurveyCheckboxes(question, page_heading),
        )
    return SurveyRadioField(
        question.label,
        description=question.hint or "",
        choices=[(point, _scale_label(question, point)) for point in question.scale_values()],
        coerce=_coerce_scale,
        invalid_value_message=INVALID_CHOICE,
        validators=required,
        widget=SurveyRadios(question, page_heading),
    )


class SurveyFormMeta:
    """Meta for survey forms: CSRF tokens that last a day (see surveys.csrf)."""

    csrf_class = SurveyCSRF


@cache
def page_form_class(page: Page) -> type[FlaskForm]:
    """The form class for a page: one field per question (named by its id) and a honeypot.

    A page with one question and no title uses that question's label as the page heading
    (templates can still override the label or legend params when rendering).
    """
    page_heading = len(page.questions) == 1 and page.title is None
    attributes: dict[str, Any] = {
        "Meta": SurveyFormMeta,
        "__doc__": f"Survey page {page.id!r}.",
        # The app hides this with CSS; people never fill it in, simple bots do.
        HONEYPOT_FIELD: StringField(
            "Leave this field empty",
            widget=GovTextInput(),
            render_kw={"autocomplete": "off", "tabindex": "-1"},
        ),
    }
    for question in page.questions:
        attributes[question.id] = _field(question, page_heading)
    name = "".join(part.capitalize() for part in re.split(r"[-_]", page.id)) + "PageForm"
    return type(name, (FlaskForm,), attributes)


def _answer_value(question: Question, data: Any) -> Any:
    if question.type in ("short_text", "long_text"):
        return data.strip() if isinstance(data, str) and data.strip() else None
    if question.type == "multiple_choice":
        chosen = set(data or [])
        return [o.value for o in question.options if o.value in chosen] or None
    if question.type == "scale":
        return data if isinstance(data, int) and not isinstance(data, bool) else None
    return data if isinstance(data, str) and data else None


def answers_from_form(page: Page, form: FlaskForm, answers: Mapping[str, Any]) -> dict[str, Any]:
    """A new answers dict with this page's visible questions taken from a validated form.

    Blank optional answers (and answers to questions that are hidden) are removed;
    scale answers are ints. Call `surveys.flow.prune_answers` afterwards to drop answers
    on later pages that a changed answer has hidden.
    """
    updated = dict(answers)
    for question in page.questions:
        value = None
        if question.show_if is None or question.show_if.holds(updated):
            value = _answer_value(question, form[question.id].data)
        if value is None:
            updated.pop(question.id, None)
        else:
            updated[question.id] = value
    return updated


def form_data_for(page: Page, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Values to fill the page's form with, so Back and Change links show what was given.

    Use as ``page_form_class(page)(data=form_data_for(page, answers))``.
    """
    data: dict[str, Any] = {}
    for question in page.questions:
        if question.id in answers:
            value = answers[question.id]
            data[question.id] = list(value) if isinstance(value, list | tuple) else value
    return data
