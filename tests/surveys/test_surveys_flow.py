"""Moving through the default survey: conditions, skipping, pruning and the summary."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from surveys.definition import Condition, SurveyDefinition, load_definitions
from surveys.flow import (
    SummaryRow,
    first_page,
    missing_required,
    next_page,
    page_is_reachable,
    previous_page,
    prune_answers,
    split_answers,
    summary_rows,
    visible_pages,
    visible_questions,
)

UNDER_16_PAGES = [
    "area",
    "connection",
    "age",
    "what-where",
    "why",
    "impact",
    "help",
    "safety",
]


@pytest.fixture(scope="module")
def defn() -> SurveyDefinition:
    return load_definitions()["have-your-say"]


def adult(**extra: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "area": "highfields",
        "connection": ["live", "study"],
        "age_band": "18-24",
    }
    answers.update(extra)
    return answers


def under_16(**extra: Any) -> dict[str, Any]:
    return {**adult(**extra), "age_band": "under-16"}


def ids(pages: list[Any]) -> list[str]:
    return [page.id for page in pages]


# --- conditions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        (Condition("q", equals="a"), {"q": "a"}, True),
        (Condition("q", equals="a"), {"q": "b"}, False),
        (Condition("q", equals="a"), {}, False),
        (Condition("q", in_=("a", "b")), {"q": "b"}, True),
        (Condition("q", in_=("a", "b")), {"q": "c"}, False),
        (Condition("q", in_=("a", "b")), {}, False),
        (Condition("q", not_in=("a",)), {"q": "b"}, True),
        (Condition("q", not_in=("a",)), {"q": "a"}, False),
        (Condition("q", not_in=("a",)), {}, True),
        (Condition("q", not_in=("a",)), {"q": ""}, True),
        (Condition("q", answered=True), {"q": "x"}, True),
        (Condition("q", answered=True), {"q": "  "}, False),
        (Condition("q", answered=True), {"q": []}, False),
        (Condition("q", answered=True), {}, False),
        (Condition("q", answered=False), {}, True),
        (Condition("q", answered=False), {"q": ["a"]}, False),
        # Multiple choice: equals/in hold if any chosen value matches, not_in if none does.
        (Condition("q", equals="a"), {"q": ["b", "a"]}, True),
        (Condition("q", equals="a"), {"q": ["b", "c"]}, False),
        (Condition("q", in_=("a", "z")), {"q": ["b", "z"]}, True),
        (Condition("q", in_=("a", "z")), {"q": ["b"]}, False),
        (Condition("q", not_in=("a",)), {"q": ["b", "c"]}, True),
        (Condition("q", not_in=("a",)), {"q": ["b", "a"]}, False),
        (Condition("q", not_in=("a",)), {"q": []}, True),
        # Scale answers are ints; conditions name them as text.
        (Condition("q", equals="4"), {"q": 4}, True),
        (Condition("q", in_=("1", "2")), {"q": 4}, False),
    ],
)
def test_condition_holds(condition: Condition, answers: dict[str, Any], expected: bool) -> None:
    assert condition.holds(answers) is expected


# --- which pages show ----------------------------------------------------------------------


def test_an_adult_sees_every_page_but_contact_details(defn: SurveyDefinition) -> None:
    assert ids(visible_pages(defn, adult())) == [*UNDER_16_PAGES, "about-you", "contact"]


def test_opting_in_shows_the_contact_details_page(defn: SurveyDefinition) -> None:
    assert ids(visible_pages(defn, adult(contact_opt_in=["yes"])))[-2:] == [
        "contact",
        "contact-details",
    ]


def test_under_16s_skip_equality_and_contact(defn: SurveyDefinition) -> None:
    assert ids(visible_pages(defn, under_16())) == UNDER_16_PAGES
    # Even with answers smuggled in, the contact details page stays hidden.
    answers = under_16(contact_opt_in=["yes"], contact_details="a@example.com")
    assert ids(visible_pages(defn, answers)) == UNDER_16_PAGES


def test_prefer_not_to_say_age_still_sees_equality(defn: SurveyDefinition) -> None:
    pages = ids(visible_pages(defn, adult(age_band="prefer-not-to-say")))
    assert pages[-2:] == ["about-you", "contact"]


def test_no_area_given_skips_the_connection_question(defn: SurveyDefinition) -> None:
    pages = ids(visible_pages(defn, adult(area="prefer-not-to-say")))
    assert pages[:3] == ["area", "age", "what-where"]


def test_visible_questions(defn: SurveyDefinition) -> None:
    page = defn.page("contact-details")
    assert visible_questions(page, {}) == []
    assert visible_questions(page, {"contact_opt_in": ["yes"]}) == [
        defn.question("contact_details")
    ]
    assert [q.id for q in visible_questions(defn.page("safety"), {})] == [
        "safe_day",
        "safe_after_dark",
    ]


# --- next and back -------------------------------------------------------------------------


def test_first_page(defn: SurveyDefinition) -> None:
    assert first_page(defn, {}).id == "area"


@pytest.mark.parametrize(
    ("answers", "page_id", "expected"),
    [
        (adult(), "area", "connection"),
        (adult(area="prefer-not-to-say"), "area", "age"),
        (adult(), "age", "what-where"),
        (adult(), "safety", "about-you"),
        (under_16(), "safety", None),
        (adult(), "about-you", "contact"),
        (adult(), "contact", None),
        (adult(contact_opt_in=["yes"]), "contact", "contact-details"),
        (adult(contact_opt_in=["yes"]), "contact-details", None),
        # From a page that has just become hidden, carry on from where it was.
        (under_16(), "about-you", None),
        (adult(area="prefer-not-to-say"), "connection", "age"),
    ],
)
def test_next_page(
    defn: SurveyDefinition, answers: dict[str, Any], page_id: str, expected: str | None
) -> None:
    page = next_page(defn, page_id, answers)
    assert (page.id if page else None) == expected


@pytest.mark.parametrize(
    ("answers", "page_id", "expected"),
    [
        (adult(), "area", None),
        (adult(), "connection", "area"),
        (adult(area="prefer-not-to-say"), "age", "area"),
        (adult(), "age", "connection"),
        (adult(), "contact", "about-you"),
        (adult(contact_opt_in=["yes"]), "contact-details", "contact"),
        (under_16(), "safety", "help"),
        (under_16(), "contact", "safety"),
    ],
)
def test_previous_page(
    defn: SurveyDefinition, answers: dict[str, Any], page_id: str, expected: str | None
) -> None:
    page = previous_page(defn, page_id, answers)
    assert (page.id if page else None) == expected


def test_next_and_previous_of_an_unknown_page(defn: SurveyDefinition) -> None:
    with pytest.raises(KeyError):
        next_page(defn, "nope", {})
    with pytest.raises(KeyError):
        previous_page(defn, "nope", {})


# --- pruning -------------------------------------------------------------------------------


def test_changing_to_under_16_prunes_equality_and_contact_answers(defn: SurveyDefinition) -> None:
    answers = adult(
        what_where="The park at night",
        safe_day=4,
        gender="woman",
        ethnic_group="asian-indian",
        contact_opt_in=["yes"],
        contact_details="07700 900000",
    )
    assert prune_answers(defn, answers) == answers
    answers["age_band"] = "under-16"
    assert prune_answers(defn, answers) == {
        "area": "highfields",
        "connection": ["live", "study"],
        "age_band": "under-16",
        "what_where": "The park at night",
        "safe_day": 4,
    }


def test_unticking_contact_prunes_the_details(defn: SurveyDefinition) -> None:
    answers = adult(contact_details="a@example.com")
    assert "contact_details" not in prune_answers(defn, answers)


def test_prune_drops_unknown_and_invalid_answers(defn: SurveyDefinition) -> None:
    answers = adult(
        nonsense="x",
        gender="martian",
        safe_day=9,
        safe_after_dark=True,
        why=["not", "text"],
        help="   ",
        connection=["visit", "teleport", "live"],
    )
    assert prune_answers(defn, answers) == {
        "area": "highfields",
        "connection": ["live", "visit"],
        "age_band": "18-24",
    }


def test_prune_does_not_change_its_argument(defn: SurveyDefinition) -> None:
    answers = under_16(gender="man")
    prune_answers(defn, answers)
    assert answers["gender"] == "man"


def test_pruned_answers_are_read_only_and_every_flow_question_gives_the_same_answer(
    defn: SurveyDefinition,
) -> None:
    answers = under_16(gender="man", what_where="The park", contact_details="x")
    pruned = prune_answers(defn, answers)
    assert prune_answers(defn, pruned) is pruned
    with pytest.raises(TypeError):
        pruned["gender"] = "woman"  # type: ignore[index]
    plain = dict(pruned)
    assert ids(visible_pages(defn, pruned)) == ids(visible_pages(defn, plain)) == UNDER_16_PAGES
    for page in defn.pages:
        assert visible_questions(page, pruned) == visible_questions(page, plain)
        assert previous_page(defn, page.id, pruned) == previous_page(defn, page.id, plain)
        assert next_page(defn, page.id, pruned) == next_page(defn, page.id, plain)
        assert page_is_reachable(defn, page.id, pruned) == page_is_reachable(defn, page.id, plain)
    assert missing_required(defn, pruned) == missing_required(defn, plain)
    assert summary_rows(defn, pruned) == summary_rows(defn, plain)
    # A list the caller is given is its own: changing it changes nothing remembered.
    visible_pages(defn, pruned).clear()
    assert ids(visible_pages(defn, pruned)) == UNDER_16_PAGES


def test_answers_pruned_for_another_definition_are_pruned_again(defn: SurveyDefinition) -> None:
    other = dataclasses.replace(defn)
    pruned_elsewhere = prune_answers(other, under_16(gender="man"))
    assert prune_answers(defn, pruned_elsewhere) is not pruned_elsewhere
    assert prune_answers(defn, pruned_elsewhere) == pruned_elsewhere


# --- required and reachable ----------------------------------------------------------------


def test_missing_required(defn: SurveyDefinition) -> None:
    missing = missing_required(defn, {})
    assert [(page.id, question.id) for page, question in missing] == [
        ("area", "area"),
        ("connection", "connection"),
        ("age", "age_band"),
    ]
    assert missing_required(defn, adult()) == []
    assert missing_required(defn, {"area": "prefer-not-to-say", "age_band": "65-plus"}) == []
    assert [q.id for _p, q in missing_required(defn, {"area": "belgrave"})] == [
        "connection",
        "age_band",
    ]


@pytest.mark.parametrize(
    ("answers", "page_id", "expected"),
    [
        ({}, "area", True),
        ({}, "connection", False),
        ({"area": "belgrave"}, "connection", True),
        ({"area": "belgrave"}, "age", False),
        ({"area": "belgrave", "connection": ["live"]}, "age", True),
        ({"area": "prefer-not-to-say"}, "age", True),
        ({"area": "prefer-not-to-say"}, "connection", False),
        ({"area": "belgrave", "connection": ["live"]}, "safety", False),
        (adult(), "safety", True),
        (adult(), "about-you", True),
        (adult(), "contact", True),
        (adult(), "contact-details", False),
        (adult(contact_opt_in=["yes"]), "contact-details", True),
        (under_16(), "help", True),
        (under_16(), "about-you", False),
        (under_16(), "contact", False),
        (adult(), "nope", False),
    ],
)
def test_page_is_reachable(
    defn: SurveyDefinition, answers: dict[str, Any], page_id: str, expected: bool
) -> None:
    assert page_is_reachable(defn, page_id, answers) is expected


# --- summary and storage -------------------------------------------------------------------


def test_summary_rows_for_an_under_16(defn: SurveyDefinition) -> None:
    answers = under_16(why="To feel safe.\nSome are scared.", safe_after_dark=2, gender="man")
    assert summary_rows(defn, answers) == [
        SummaryRow(
            "area", "area", "Which area of Leicester do you live in or know best?", "Highfields"
        ),
        SummaryRow(
            "connection",
            "connection",
            "How are you connected to this area?",
            "I live there, I go to school, college or university there",
        ),
        SummaryRow("age", "age_band", "How old are you?", "Under 16"),
        SummaryRow(
            "what-where",
            "what_where",
            "What worries you about knife crime or violence where you live?",
            "Not answered",
        ),
        SummaryRow(
            "why",
            "why",
            "Why do you think some people carry knives?",
            "To feel safe.\nSome are scared.",
        ),
        SummaryRow(
            "impact",
            "impact",
            "How has knife crime affected you, your family or the people around you?",
            "Not answered",
        ),
        SummaryRow("help", "help", "What would help stop knife crime?", "Not answered"),
        SummaryRow(
            "safety",
            "safe_day",
            "How safe do you feel in your area during the day?",
            "Not answered",
        ),
        SummaryRow(
            "safety",
            "safe_after_dark",
            "How safe do you feel in your area after dark?",
            "2: Quite unsafe",
        ),
    ]


def test_summary_rows_include_contact_answers(defn: SurveyDefinition) -> None:
    answers = adult(
        safe_day=4,
        ethnic_group="white-roma",
        contact_opt_in=["yes"],
        contact_details="name@example.com",
    )
    rows = {row.question_id: row for row in summary_rows(defn, answers)}
    assert rows["safe_day"].value == "4: Quite safe"
    assert rows["gender"].value == "Not answered"
    assert rows["ethnic_group"].value == "White: Roma"
    assert rows["contact_opt_in"] == SummaryRow(
        "contact",
        "contact_opt_in",
        "Would you like us to contact you about this work?",
        "Yes, I'm happy to be contacted about this work",
    )
    assert rows["contact_details"].value == "name@example.com"
    assert list(rows)[-2:] == ["contact_opt_in", "contact_details"]


def test_split_answers_keeps_contact_details_apart(defn: SurveyDefinition) -> None:
    answers = adult(
        help="More youth clubs",
        gender="non-binary",
        contact_opt_in=["yes"],
        contact_details="07700 900000",
        stray="dropped",
    )
    main, contact = split_answers(defn, answers)
    assert main == {
        "area": "highfields",
        "connection": ["live", "study"],
        "age_band": "18-24",
        "help": "More youth clubs",
        "gender": "non-binary",
    }
    assert contact == {"contact_opt_in": ["yes"], "contact_details": "07700 900000"}


def test_split_answers_for_an_under_16_has_no_contact(defn: SurveyDefinition) -> None:
    main, contact = split_answers(defn, under_16(contact_opt_in=["yes"], gender="woman"))
    assert contact == {}
    assert main == under_16()
