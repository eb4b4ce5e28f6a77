"""Online surveys defined in YAML: definitions, page flow and page forms.

Plain Python that the Flask views call; it does not import the app package.
"""

from surveys.csrf import CSRF_TIME_LIMIT, survey_csrf_token
from surveys.definition import (
    DEFINITIONS_DIR,
    Condition,
    Option,
    Page,
    Question,
    SurveyDefinition,
    SurveyDefinitionError,
    is_answered,
    load_definition,
    load_definitions,
)
from surveys.flow import (
    PrunedAnswers,
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
from surveys.forms import (
    HONEYPOT_FIELD,
    SurveyFormMeta,
    answers_from_form,
    form_data_for,
    page_form_class,
)

__all__ = [
    "CSRF_TIME_LIMIT",
    "DEFINITIONS_DIR",
    "HONEYPOT_FIELD",
    "Condition",
    "Option",
    "Page",
    "PrunedAnswers",
    "Question",
    "SummaryRow",
    "SurveyDefinition",
    "SurveyDefinitionError",
    "SurveyFormMeta",
    "answers_from_form",
    "first_page",
    "form_data_for",
    "is_answered",
    "load_definition",
    "load_definitions",
    "missing_required",
    "next_page",
    "page_form_class",
    "page_is_reachable",
    "previous_page",
    "prune_answers",
    "split_answers",
    "summary_rows",
    "survey_csrf_token",
    "visible_pages",
    "visible_questions",
]
