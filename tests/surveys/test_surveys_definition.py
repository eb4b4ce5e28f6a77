"""Survey definitions: the default survey loads, and broken files say where and why."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.reference import QUESTION_IDS
from surveys.definition import (
    CONVERSATION_QUESTION_IDS,
    DEFINITIONS_DIR,
    RESERVED_QUESTION_IDS,
    Condition,
    Option,
    SurveyDefinitionError,
    load_definition,
    load_definitions,
)


def minimal() -> dict[str, Any]:
    """A small valid definition that each broken case changes one thing in."""
    return {
        "id": "mini",
        "title": "Mini survey",
        "version": 1,
        "summary": "A small survey.",
        "duration": "About 2 minutes",
        "start_paragraphs": ["First paragraph."],
        "who_sees": "The strategy team.",
        "area_question": "area",
        "age_question": "age",
        "pages": [
            {
                "id": "area",
                "questions": [
                    {
                        "id": "area",
                        "type": "single_choice",
                        "label": "Which area?",
                        "required": True,
                        "options": [
                            {"value": "north", "label": "North"},
                            {"value": "south", "label": "South"},
                        ],
                    }
                ],
            },
            {
                "id": "age",
                "questions": [
                    {
                        "id": "age",
                        "type": "single_choice",
                        "label": "How old are you?",
                        "required": True,
                        "options": [
                            {"value": "under-16", "label": "Under 16"},
                            {"value": "16-plus", "label": "16 or over"},
                        ],
                    }
                ],
            },
            {
                "id": "why",
                "questions": [
                    {"id": "why", "type": "long_text", "label": "Why?", "feeds": "why"},
                ],
            },
            {
                "id": "more",
                "title": "More about you",
                "show_if": {"question": "age", "not_in": ["under-16"]},
                "questions": [
                    {
                        "id": "colours",
                        "type": "multiple_choice",
                        "label": "Which colours?",
                        "options": [
                            {"value": "red", "label": "Red"},
                            {"value": "blue", "label": "Blue"},
                            {"value": "none", "label": "Prefer not to say", "exclusive": True},
                        ],
                    },
                    {
                        "id": "score",
                        "type": "scale",
                        "label": "How good?",
                        "scale_min": 1,
                        "scale_max": 5,
                        "scale_labels": {1: "Bad", 5: "Good"},
                    },
                ],
            },
        ],
    }


def write(tmp_path: Path, data: dict[str, Any], name: str = "mini.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def broken(tmp_path: Path, data: dict[str, Any]) -> SurveyDefinitionError:
    path = write(tmp_path, data)
    with pytest.raises(SurveyDefinitionError) as caught:
        load_definition(path)
    error = caught.value
    assert "\n" not in str(error)
    assert str(error) == f"{path}: {error.field}: {error.problem}"
    assert error.file == str(path)
    return error


# --- the default survey --------------------------------------------------------------------


@pytest.fixture(scope="module")
def default() -> Any:
    return load_definitions()["have-your-say"]


def test_the_default_survey_loads_with_its_pages_in_order(default: Any) -> None:
    assert default.title == "Knife crime and serious violence: have your say"
    assert default.source_file == "surveys/definitions/have-your-say.yaml"
    assert [p.id for p in default.pages] == [
        "area",
        "connection",
        "age",
        "what-where",
        "why",
        "impact",
        "help",
        "safety",
        "about-you",
        "contact",
        "contact-details",
    ]
    assert default.area_question == "area"
    assert default.age_question == "age_band"
    assert default.duration == "About 10 minutes"


def test_only_the_default_survey_is_shipped() -> None:
    assert list(load_definitions(DEFINITIONS_DIR)) == ["have-your-say"]


def test_the_area_options_are_the_codebook_areas(default: Any) -> None:
    codebook_path = Path(__file__).resolve().parents[2] / "analysis" / "data" / "codebook.yaml"
    codebook = yaml.safe_load(codebook_path.read_text(encoding="utf-8"))
    options = default.question("area").options
    assert [o.label for o in options[:-2]] == codebook["areas"]
    assert [o.value for o in options] == [
        "belgrave",
        "braunstone",
        "beaumont-leys",
        "new-parks",
        "saffron-eyres-monsell",
        "highfields",
        "st-matthews",
        "city-centre",
        "elsewhere",
        "prefer-not-to-say",
    ]
    assert options[-2] == Option("elsewhere", "Another part of Leicester")


def test_the_open_questions_feed_the_four_conversation_questions(default: Any) -> None:
    assert CONVERSATION_QUESTION_IDS == QUESTION_IDS
    open_questions = default.open_questions()
    assert [(q.id, q.feeds) for q in open_questions] == [
        ("what_where", "what_where"),
        ("why", "why"),
        ("impact", "impact"),
        ("help", "help"),
    ]
    for question in open_questions:
        assert question.type == "long_text"
        assert question.max_length == 2000
        assert not question.required
        assert question.is_open
        assert "Do not include names" in (question.hint or "")


def test_the_age_bands_and_equality_questions(default: Any) -> None:
    assert [o.label for o in default.question("age_band").options] == [
        "Under 16",
        "16 to 17",
        "18 to 24",
        "25 to 34",
        "35 to 44",
        "45 to 54",
        "55 to 64",
        "65 and over",
        "Prefer not to say",
    ]
    assert [o.label for o in default.question("gender").options] == [
        "Woman",
        "Man",
        "Non-binary",
        "I describe myself another way",
        "Prefer not to say",
    ]
    ethnic = [o.label for o in default.question("ethnic_group").options]
    assert len(ethnic) == 20
    assert ethnic[-1] == "Prefer not to say"
    assert "Asian or Asian British: Indian" in ethnic
    assert "White: Roma" in ethnic
    assert "Other ethnic group: Arab" in ethnic
    assert "Any other ethnic group" in ethnic
    assert default.page("about-you").show_if == Condition("age_band", not_in=("under-16",))
    assert default.page("contact").show_if == Condition("age_band", not_in=("under-16",))


def test_the_safety_scales(default: Any) -> None:
    page = default.page("safety")
    assert page.title == "How safe do you feel?"
    assert [q.id for q in page.questions] == ["safe_day", "safe_after_dark"]
    for question in page.questions:
        assert (question.type, question.scale_min, question.scale_max) == ("scale", 1, 5)
        assert question.scale_labels[1] == "Very unsafe"
        assert question.scale_labels[4] == "Quite safe"
        assert question.scale_labels[5] == "Very safe"
        assert not question.required


def test_only_the_contact_questions_ask_for_contact_details(default: Any) -> None:
    personal = re.compile(r"\b(name|e-?mail|phone|address|postcode)\b", re.IGNORECASE)
    asking = [q.id for q in default.questions() if personal.search(q.label)]
    assert asking == ["contact_details"]
    assert [q.id for q in default.questions() if q.contact] == [
        "contact_opt_in",
        "contact_details",
    ]
    opt_in = default.question("contact_opt_in")
    assert opt_in.options == (Option("yes", "Yes, I'm happy to be contacted about this work"),)
    assert not opt_in.required
    details = default.question("contact_details")
    assert details.show_if == Condition("contact_opt_in", answered=True)
    assert "6 months" in (details.hint or "")


def test_lookups(default: Any) -> None:
    assert default.page("safety").questions[0] is default.question("safe_day")
    with pytest.raises(KeyError):
        default.page("nope")
    with pytest.raises(KeyError):
        default.question("nope")
    assert len(default.questions()) == 13


def test_definitions_are_frozen_and_hashable(default: Any) -> None:
    with pytest.raises(AttributeError):
        default.title = "Changed"  # type: ignore[misc]
    assert hash(default.page("safety")) == hash(load_definitions()["have-your-say"].page("safety"))


# --- broken definitions --------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        parts = re.findall(r"[^.\[\]]+", path)
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[part]
        del target[last]

    return mutate


def _append_page(page: dict[str, Any]) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["pages"].append(page)

    return mutate


BROKEN: list[tuple[str, Mutation, str, str]] = [
    (
        "unknown question type",
        _set("pages[2].questions[0].type", "essay"),
        "pages[2].questions[0].type",
        "'essay' is not one of 'short_text', 'long_text', 'single_choice', "
        "'multiple_choice', 'scale'",
    ),
    ("missing title", _delete("title"), "title", "is required but missing"),
    (
        "unknown field",
        _set("pages[0].questions[0].lable", "Typo"),
        "pages[0].questions[0].lable",
        "is not a known field (check the spelling)",
    ),
    (
        "wrong type",
        _set("pages[0].questions[0].required", "yes please"),
        "pages[0].questions[0].required",
        "must be true or false, not 'yes please'",
    ),
    (
        "blank label",
        _set("pages[2].questions[0].label", "  "),
        "pages[2].questions[0].label",
        "must not be blank",
    ),
    (
        "duplicate question id",
        _set("pages[3].questions[1].id", "colours"),
        "pages[3].questions[1].id",
        "duplicate question id 'colours' (already used at pages[3].questions[0])",
    ),
    (
        "duplicate page id",
        _set("pages[2].id", "area"),
        "pages[2].id",
        "duplicate page id 'area'",
    ),
    (
        "duplicate option value",
        _set("pages[0].questions[0].options[1].value", "north"),
        "pages[0].questions[0].options[1].value",
        "duplicate option value 'north'",
    ),
    (
        "condition on an unknown question",
        _set("pages[3].show_if", {"question": "nothing", "answered": True}),
        "pages[3].show_if.question",
        "no question has the id 'nothing'",
    ),
    (
        "page condition on its own question",
        _set("pages[3].show_if", {"question": "colours", "answered": True}),
        "pages[3].show_if.question",
        "'colours' is on the same or a later page; "
        "a condition can only use answers from earlier pages",
    ),
    (
        "question condition on the same page",
        _set("pages[3].questions[1].show_if", {"question": "colours", "answered": True}),
        "pages[3].questions[1].show_if.question",
        "'colours' is on the same or a later page; "
        "a condition can only use answers from earlier pages",
    ),
    (
        "condition on a later page",
        _set("pages[2].show_if", {"question": "score", "equals": "3"}),
        "pages[2].show_if.question",
        "'score' is on the same or a later page; "
        "a condition can only use answers from earlier pages",
    ),
    (
        "condition with two tests",
        _set("pages[3].show_if", {"question": "age", "equals": "16-plus", "answered": True}),
        "pages[3].show_if",
        "needs exactly one of 'equals', 'in', 'not_in' or 'answered'",
    ),
    (
        "condition on a value that is not an option",
        _set("pages[3].show_if", {"question": "age", "in": ["over-100"]}),
        "pages[3].show_if.in",
        "'over-100' is not an answer to 'age'",
    ),
    (
        "condition comparing free text",
        _append_page(
            {
                "id": "later",
                "show_if": {"question": "why", "equals": "because"},
                "questions": [{"id": "later", "type": "short_text", "label": "Later"}],
            }
        ),
        "pages[4].show_if.equals",
        "'why' is a long_text question; only 'answered' can test it",
    ),
    (
        "feeds an unknown conversation question",
        _set("pages[2].questions[0].feeds", "where"),
        "pages[2].questions[0].feeds",
        "'where' is not one of 'what_where', 'why', 'impact', 'help'",
    ),
    (
        "feeds on a choice question",
        _set("pages[0].questions[0].feeds", "why"),
        "pages[0].questions[0].feeds",
        "only text questions can feed, not single_choice",
    ),
    (
        "open question without feeds",
        lambda data: data["pages"][2]["questions"][0].pop("feeds"),
        "pages[2].questions[0].feeds",
        "an open (long_text) question must say which conversation question it feeds",
    ),
    (
        "area question does not exist",
        _set("area_question", "where"),
        "area_question",
        "no question has the id 'where'",
    ),
    (
        "area question of the wrong type",
        _set("area_question", "colours"),
        "area_question",
        "'colours' is a multiple_choice question; it must be single_choice",
    ),
    (
        "age question does not exist",
        _set("age_question", "age_band"),
        "age_question",
        "no question has the id 'age_band'",
    ),
    (
        "age question of the wrong type",
        _set("age_question", "why"),
        "age_question",
        "'why' is a long_text question; it must be single_choice",
    ),
    (
        "scale min equal to max",
        _set("pages[3].questions[1].scale_max", 1),
        "pages[3].questions[1].scale_max",
        "scale_max (1) must be more than scale_min (1)",
    ),
    (
        "scale min above max",
        _set("pages[3].questions[1].scale_min", 7),
        "pages[3].questions[1].scale_max",
        "scale_max (5) must be more than scale_min (7)",
    ),
    (
        "scale label outside the scale",
        _set("pages[3].questions[1].scale_labels", {6: "Great"}),
        "pages[3].questions[1].scale_labels.6",
        "6 is not between 1 and 5",
    ),
    (
        "max_length of 0",
        _set("pages[2].questions[0].max_length", 0),
        "pages[2].questions[0].max_length",
        "0 is not between 1 and 5000",
    ),
    (
        "max_length over 5000",
        _set("pages[2].questions[0].max_length", 5001),
        "pages[2].questions[0].max_length",
        "5001 is not between 1 and 5000",
    ),
    (
        "max_length on a choice question",
        _set("pages[0].questions[0].max_length", 10),
        "pages[0].questions[0].max_length",
        "only text questions have max_length, not single_choice",
    ),
    (
        "choice question without options",
        lambda data: data["pages"][0]["questions"][0].pop("options"),
        "pages[0].questions[0].options",
        "a single_choice question needs options",
    ),
    (
        "page of several questions without a title",
        lambda data: data["pages"][3].pop("title"),
        "pages[3].title",
        "a page with more than one question must have a title",
    ),
    (
        "reserved question id",
        _set("pages[3].questions[1].id", "website"),
        "pages[3].questions[1].id",
        "'website' is reserved; choose another id",
    ),
    (
        "required question with show_if",
        lambda data: data["pages"][3]["questions"][1].update(
            required=True, show_if={"question": "age", "equals": "16-plus"}
        ),
        "pages[3].questions[1].show_if",
        "a required question cannot have show_if; put show_if on its page instead",
    ),
    (
        "exclusive option on radios",
        _set("pages[0].questions[0].options[1].exclusive", True),
        "pages[0].questions[0].options[1].exclusive",
        "only multiple_choice options can be exclusive",
    ),
    (
        "area question only shown to some",
        lambda data: (
            data["pages"].insert(
                0,
                {
                    "id": "first",
                    "questions": [
                        {
                            "id": "first",
                            "type": "single_choice",
                            "label": "First?",
                            "options": [{"value": "yes", "label": "Yes"}],
                        }
                    ],
                },
            )
            or data["pages"][1].update(show_if={"question": "first", "answered": True})
        ),
        "area_question",
        "'area' must be asked of everyone (no show_if)",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_definition_says_where_and_why_on_one_line(
    tmp_path: Path, mutate: Mutation, field: str, problem: str
) -> None:
    data = copy.deepcopy(minimal())
    mutate(data)
    error = broken(tmp_path, data)
    assert (error.field, error.problem) == (field, problem)


def test_the_minimal_definition_is_valid(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, minimal()))
    assert definition.id == "mini"
    assert definition.question("why").max_length == 2000
    assert definition.question("score").scale_labels == {1: "Bad", 5: "Good"}
    assert definition.question("colours").options[2].exclusive is True


def test_a_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: bad\ntitle: [unclosed\nversion: 1\n", encoding="utf-8")
    with pytest.raises(SurveyDefinitionError) as caught:
        load_definition(path)
    assert caught.value.file == str(path)
    assert caught.value.field == "line 3, column 8"
    assert caught.value.problem.startswith("invalid YAML: ")
    assert "\n" not in str(caught.value)


def test_a_duplicate_yaml_key_is_an_error_not_silently_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("id: one\ntitle: A\nid: two\n", encoding="utf-8")
    with pytest.raises(SurveyDefinitionError) as caught:
        load_definition(path)
    assert str(caught.value) == f"{path}: line 3, column 1: invalid YAML: duplicate key 'id'"


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- one\n- two\n", encoding="utf-8")
    with pytest.raises(SurveyDefinitionError) as caught:
        load_definition(path)
    assert str(caught.value) == f"{path}: (top level): must be a mapping of fields"


def test_yaml_yes_is_not_taken_as_an_option_value(tmp_path: Path) -> None:
    # Unquoted `yes` is a YAML boolean; the schema must catch it rather than store True.
    data = minimal()
    data["pages"][0]["questions"][0]["options"][0]["value"] = True
    error = broken(tmp_path, data)
    assert (error.field, error.problem) == (
        "pages[0].questions[0].options[0].value",
        "must be text, not True",
    )


def test_the_same_id_in_two_files(tmp_path: Path) -> None:
    write(tmp_path, minimal(), "a.yaml")
    write(tmp_path, minimal(), "b.yaml")
    with pytest.raises(SurveyDefinitionError) as caught:
        load_definitions(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'b.yaml'}: id: 'mini' is already used by {tmp_path / 'a.yaml'}"
    )


def test_reserved_ids_cover_the_form_attributes() -> None:
    from flask_wtf import FlaskForm

    public = {name.lower() for name in dir(FlaskForm) if not name.startswith("_")}
    assert public <= RESERVED_QUESTION_IDS


def test_an_error_keeps_file_field_and_problem() -> None:
    error = SurveyDefinitionError("x.yaml", "pages[0].id", "is\nbad")
    assert (error.file, error.field, error.problem) == ("x.yaml", "pages[0].id", "is bad")
    assert str(error) == "x.yaml: pages[0].id: is bad"
