"""Survey page forms: fields, friendly errors, cleaning, and turning forms into answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField

from surveys.csrf import SurveyCSRF
from surveys.definition import Option, Page, Question, SurveyDefinition, load_definitions
from surveys.flow import prune_answers
from surveys.forms import (
    answers_from_form,
    clean_line,
    clean_text,
    form_data_for,
    page_form_class,
)


@pytest.fixture(scope="module")
def defn() -> SurveyDefinition:
    return load_definitions()["have-your-say"]


def make_app(csrf: bool = False) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=csrf)
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            )
        ]
    )
    return app


@pytest.fixture(scope="module")
def app() -> Flask:
    return make_app()


@contextmanager
def posted(app: Flask, page: Page, *pairs: tuple[str, str]) -> Iterator[FlaskForm]:
    """A page form filled from a POST with these fields, already validated."""
    with app.test_request_context(method="POST", data=MultiDict(list(pairs))):
        form = page_form_class(page)()
        form.validate()
        yield form


def question(**fields: Any) -> Question:
    values: dict[str, Any] = {
        "id": "q",
        "type": "short_text",
        "label": "Question?",
        "hint": None,
        "required": False,
        "options": (),
        "feeds": None,
        "max_length": None,
        "scale_min": None,
        "scale_max": None,
        "scale_labels": MappingProxyType({}),
        "show_if": None,
        "required_message": None,
        "contact": False,
    }
    values.update(fields)
    return Question(**values)


def single(q: Question, page_id: str = "p") -> Page:
    return Page(id=page_id, title=None, intro=None, questions=(q,), show_if=None)


# --- fields --------------------------------------------------------------------------------


def test_one_field_per_question_with_the_right_type(defn: SurveyDefinition, app: Flask) -> None:
    expected = {
        "area": RadioField,
        "connection": SelectMultipleField,
        "what_where": TextAreaField,
        "safe_day": RadioField,
        "contact_details": StringField,
    }
    with app.test_request_context():
        for question_id, field_class in expected.items():
            page = defn.page_of(question_id)
            form = page_form_class(page)()
            assert isinstance(form[question_id], field_class)
            assert isinstance(form["website"], StringField)
            assert list(form["website"].validators) == []


def test_the_form_class_is_cached_per_page(defn: SurveyDefinition) -> None:
    page = defn.page("safety")
    assert page_form_class(page) is page_form_class(page)
    assert page_form_class(page) is not page_form_class(defn.page("area"))
    assert issubclass(page_form_class(page), FlaskForm)


def test_csrf_stays_on_with_the_survey_tokens_that_last_a_day(defn: SurveyDefinition) -> None:
    app = make_app(csrf=True)
    with app.test_request_context():
        form = page_form_class(defn.page("area"))()
        assert form.meta.csrf is True
        assert isinstance(form.meta.csrf_class(), SurveyCSRF)
        assert "csrf_token" in form
    with app.test_request_context(method="POST", data={"area": "belgrave"}):
        form = page_form_class(defn.page("area"))()
        assert form.validate() is False
        assert form.errors == {"csrf_token": ["The CSRF token is missing."]}


def test_scale_choices_are_labelled(defn: SurveyDefinition, app: Flask) -> None:
    with app.test_request_context():
        form = page_form_class(defn.page("safety"))()
        assert form.safe_day.choices == [
            (1, "1 - Very unsafe"),
            (2, "2 - Quite unsafe"),
            (3, "3 - Neither safe nor unsafe"),
            (4, "4 - Quite safe"),
            (5, "5 - Very safe"),
        ]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page_id", "errors"),
    [
        ("area", {"area": ["Select the area you live in or know best"]}),
        ("connection", {"connection": ["Select how you are connected to this area"]}),
        ("age", {"age_band": ["Select how old you are"]}),
        ("what-where", {}),
        ("safety", {}),
        ("about-you", {}),
        ("contact", {}),
    ],
)
def test_required_messages_on_an_empty_page(
    defn: SurveyDefinition, app: Flask, page_id: str, errors: dict[str, list[str]]
) -> None:
    with posted(app, defn.page(page_id)) as form:
        assert form.errors == errors


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "short_text", "label": "Email address"}, "Enter email address"),
        ({"type": "long_text", "label": "Why?"}, "Enter your answer"),
        (
            {"type": "single_choice", "label": "Your school", "options": (Option("a", "A"),)},
            "Select your school",
        ),
        (
            {"type": "single_choice", "label": "Which one?", "options": (Option("a", "A"),)},
            "Select an answer",
        ),
        (
            {"type": "multiple_choice", "label": "Which?", "options": (Option("a", "A"),)},
            "Select at least one answer",
        ),
        (
            {"type": "scale", "label": "How much?", "scale_min": 1, "scale_max": 3},
            "Select an answer",
        ),
        ({"type": "short_text", "required_message": "Tell us more"}, "Tell us more"),
    ],
)
def test_derived_required_messages(app: Flask, fields: dict[str, Any], message: str) -> None:
    text = fields["type"] in ("short_text", "long_text")
    q = question(required=True, **fields, **({"max_length": 100} if text else {}))
    pairs = [("q", "   ")] if text else []
    with posted(app, single(q), *pairs) as form:
        assert form.errors == {"q": [message]}


def test_a_long_answer_gets_a_friendly_length_message(defn: SurveyDefinition, app: Flask) -> None:
    with posted(app, defn.page("why"), ("why", "x" * 2001)) as form:
        assert form.errors == {"why": ["Your answer must be 2,000 characters or fewer"]}
    with posted(app, defn.page("why"), ("why", "x" * 2000)) as form:
        assert form.errors == {}


def test_a_browser_newline_counts_as_one_character(defn: SurveyDefinition, app: Flask) -> None:
    text = "x" * 999 + "\r\n" + "y" * 1000
    with posted(app, defn.page("why"), ("why", text)) as form:
        assert form.errors == {}
        assert form.why.data == "x" * 999 + "\n" + "y" * 1000


def test_an_exclusive_option_cannot_be_combined(app: Flask) -> None:
    q = question(
        type="multiple_choice",
        options=(
            Option("a", "A"),
            Option("b", "B"),
            Option("none", "Prefer not to say", None, True),
        ),
    )
    with posted(app, single(q), ("q", "a"), ("q", "none")) as form:
        assert form.errors == {
            "q": ["Select 'Prefer not to say' on its own, or choose other answers"]
        }
    with posted(app, single(q), ("q", "none")) as form:
        assert form.errors == {}
    with posted(app, single(q), ("q", "a"), ("q", "b")) as form:
        assert form.errors == {}


@pytest.mark.parametrize(
    ("page_id", "pairs"),
    [
        ("area", [("area", "mars")]),
        ("connection", [("connection", "live"), ("connection", "teleport")]),
        ("safety", [("safe_day", "9")]),
        ("safety", [("safe_day", "four")]),
    ],
)
def test_made_up_values_are_refused(
    defn: SurveyDefinition, app: Flask, page_id: str, pairs: list[tuple[str, str]]
) -> None:
    with posted(app, defn.page(page_id), *pairs) as form:
        assert form.errors == {pairs[0][0]: ["Select one of the options shown"]}


# --- cleaning ------------------------------------------------------------------------------


def test_control_characters_are_stripped(defn: SurveyDefinition, app: Flask) -> None:
    text = "  Hel\x00lo wor\x1bld\u202e!\r\nNext\tline\x7f \u200f "
    with posted(app, defn.page("why"), ("why", text)) as form:
        assert form.why.data == "Hello world!\nNext line \u200f"
    with posted(app, defn.page("contact-details"), ("contact_details", " a@b.c\r\nx\x07 ")) as form:
        assert form.contact_details.data == "a@b.c x"


def test_clean_functions() -> None:
    assert clean_text(None) is None
    assert clean_line(None) is None
    assert clean_text("a\rb\u2028c") == "a\nb\nc"
    assert clean_line("a\nb\u0085c") == "a b c"
    assert clean_text("\x00\x01 ") == ""


# --- answers -------------------------------------------------------------------------------


def test_scale_answers_are_ints(defn: SurveyDefinition, app: Flask) -> None:
    with posted(app, defn.page("safety"), ("safe_day", "4")) as form:
        assert form.errors == {}
        assert answers_from_form(defn.page("safety"), form, {"area": "belgrave"}) == {
            "area": "belgrave",
            "safe_day": 4,
        }


def test_blank_optional_answers_are_removed(defn: SurveyDefinition, app: Flask) -> None:
    before = {"area": "belgrave", "why": "Old answer", "safe_day": 3}
    with posted(app, defn.page("why"), ("why", "   ")) as form:
        assert answers_from_form(defn.page("why"), form, before) == {
            "area": "belgrave",
            "safe_day": 3,
        }
    assert before["why"] == "Old answer"


def test_multiple_choice_answers_keep_the_option_order(defn: SurveyDefinition, app: Flask) -> None:
    page = defn.page("connection")
    with posted(app, page, ("connection", "visit"), ("connection", "live")) as form:
        assert answers_from_form(page, form, {}) == {"connection": ["live", "visit"]}


def test_the_honeypot_is_not_an_answer(defn: SurveyDefinition, app: Flask) -> None:
    page = defn.page("area")
    with posted(app, page, ("area", "belgrave"), ("website", "http://spam")) as form:
        assert form.website.data == "http://spam"
        assert answers_from_form(page, form, {}) == {"area": "belgrave"}


def test_a_hidden_question_is_not_saved(defn: SurveyDefinition, app: Flask) -> None:
    page = defn.page("contact-details")
    with posted(app, page, ("contact_details", "a@example.com")) as form:
        assert answers_from_form(page, form, {}) == {}
        assert answers_from_form(page, form, {"contact_opt_in": ["yes"]}) == {
            "contact_opt_in": ["yes"],
            "contact_details": "a@example.com",
        }


FULL_ADULT: dict[str, Any] = {
    "area": "saffron-eyres-monsell",
    "connection": ["live", "work"],
    "age_band": "25-34",
    "what_where": "Near the shops.\nAt night.",
    "why": "Fear",
    "impact": "We stay in",
    "help": "Youth clubs",
    "safe_day": 4,
    "safe_after_dark": 1,
    "gender": "another-way",
    "ethnic_group": "mixed-white-asian",
    "contact_opt_in": ["yes"],
    "contact_details": "07700 900000",
}


def test_prefill_round_trip(defn: SurveyDefinition, app: Flask) -> None:
    assert prune_answers(defn, FULL_ADULT) == FULL_ADULT
    rebuilt: dict[str, Any] = {}
    with app.test_request_context():
        for page in defn.pages:
            form = page_form_class(page)(data=form_data_for(page, FULL_ADULT))
            rebuilt = answers_from_form(page, form, rebuilt)
    assert rebuilt == FULL_ADULT


def test_form_data_for_only_this_page(defn: SurveyDefinition) -> None:
    assert form_data_for(defn.page("safety"), FULL_ADULT) == {
        "safe_day": 4,
        "safe_after_dark": 1,
    }
    assert form_data_for(defn.page("about-you"), {}) == {}


# --- rendering -----------------------------------------------------------------------------


def test_rendered_fields(defn: SurveyDefinition, app: Flask) -> None:
    answers = {"safe_day": 4, "why": "Because"}
    with app.test_request_context():
        why = page_form_class(defn.page("why"))(data=form_data_for(defn.page("why"), answers))
        html = str(why.why())
        assert 'data-maxlength="2000"' in html
        assert '<h1 class="govuk-label-wrapper">' in html
        assert ">Because</textarea>" in html

        safety = page_form_class(defn.page("safety"))(
            data=form_data_for(defn.page("safety"), answers)
        )
        html = str(safety.safe_day())
        assert 'value="4" checked' in html
        assert "govuk-fieldset__heading" not in html  # the page title is the heading
        assert 'class="govuk-hint"' not in html  # no empty hint

        area = str(page_form_class(defn.page("area"))().area())
        assert '<h1 class="govuk-fieldset__heading">' in area
        assert " required" not in area


def test_an_exclusive_checkbox_renders_with_a_divider(app: Flask) -> None:
    q = question(
        type="multiple_choice",
        options=(
            Option("a", "A", "A hint"),
            Option("none", "Prefer not to say", None, True),
        ),
    )
    with app.test_request_context():
        html = str(page_form_class(single(q, "exclusive"))().q())
    assert '<div class="govuk-checkboxes__divider">or</div>' in html
    assert 'data-behaviour="exclusive"' in html
    assert "A hint" in html
    assert html.index("A hint") < html.index("govuk-checkboxes__divider")
