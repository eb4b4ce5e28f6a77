"""Moving through a survey: which pages show, where Next and Back go, what is missing.

Answers are a plain dict of question id -> str (text, single choice), list[str]
(multiple choice) or int (scale). Conditions only look at answers from earlier pages,
so walking the pages in order and keeping only visible answers as we go gives the same
result whichever order the person answered in.

Every function here prunes the answers it is given first. `prune_answers` returns a
read-only `PrunedAnswers`, which the others take as it is, along with the pages and
questions it shows, worked out once: a survey page asks several of these questions of
the same answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from surveys.definition import Page, Question, SurveyDefinition, is_answered

__all__ = [
    "NOT_ANSWERED",
    "PrunedAnswers",
    "SummaryRow",
    "display_value",
    "first_page",
    "missing_required",
    "next_page",
    "page_is_reachable",
    "previous_page",
    "prune_answers",
    "split_answers",
    "summary_rows",
    "visible_pages",
    "visible_questions",
]

NOT_ANSWERED: Final = "Not answered"


class PrunedAnswers(Mapping[str, Any]):
    """Answers pruned for one survey definition (see `prune_answers`); read-only.

    It remembers which pages and questions these answers show, so asking
    again costs nothing. Copy it with dict() to change it.
    """

    __slots__ = ("_answers", "_definition", "_pages", "_questions")

    def __init__(self, definition: SurveyDefinition, answers: dict[str, Any]) -> None:
        self._definition = definition
        self._answers = answers
        self._pages: list[Page] | None = None
        self._questions: dict[str, list[Question]] = {}

    def __getitem__(self, question_id: str) -> Any:
        return self._answers[question_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._answers)

    def __len__(self) -> int:
        return len(self._answers)

    def __repr__(self) -> str:
        return f"PrunedAnswers({self._answers!r})"

    def is_for(self, definition: SurveyDefinition) -> bool:
        """Whether these answers were pruned for `definition`."""
        return self._definition is definition

    def visible_questions(self, page: Page) -> list[Question]:
        """The questions of `page` these answers show (worked out once per page)."""
        questions = self._questions.get(page.id)
        if questions is None:
            questions = _shown_questions(page, self._answers)
            self._questions[page.id] = questions
        return questions

    def visible_pages(self) -> list[Page]:
        """The pages these answers show, in order (worked out once)."""
        if self._pages is None:
            self._pages = [
                page
                for page in self._definition.pages
                if (page.show_if is None or page.show_if.holds(self._answers))
                and self.visible_questions(page)
            ]
        return self._pages


def _shown_questions(page: Page, answers: Mapping[str, Any]) -> list[Question]:
    return [q for q in page.questions if q.show_if is None or q.show_if.holds(answers)]


def visible_questions(page: Page, answers: Mapping[str, Any]) -> list[Question]:
    """The questions on a page whose show_if holds for these answers."""
    if isinstance(answers, PrunedAnswers):
        return list(answers.visible_questions(page))
    return _shown_questions(page, answers)


def visible_pages(defn: SurveyDefinition, answers: Mapping[str, Any]) -> list[Page]:
    """The pages this person sees, in order: show_if holds and a question is visible."""
    return list(prune_answers(defn, answers).visible_pages())


def first_page(defn: SurveyDefinition, answers: Mapping[str, Any]) -> Page:
    """The first page to show after the start page."""
    # The first page can have no conditions (there is nothing earlier to test), so it shows.
    return prune_answers(defn, answers).visible_pages()[0]


def _position(defn: SurveyDefinition, page_id: str) -> int:
    for index, page in enumerate(defn.pages):
        if page.id == page_id:
            return index
    raise KeyError(page_id)


def next_page(defn: SurveyDefinition, page_id: str, answers: Mapping[str, Any]) -> Page | None:
    """The next visible page after this one, or None when it is time to check answers.

    Works from the page's place in the survey even if the page itself is now hidden.
    KeyError if there is no page with that id.
    """
    position = _position(defn, page_id)
    visible = {page.id for page in prune_answers(defn, answers).visible_pages()}
    for page in defn.pages[position + 1 :]:
        if page.id in visible:
            return page
    return None


def previous_page(defn: SurveyDefinition, page_id: str, answers: Mapping[str, Any]) -> Page | None:
    """The visible page before this one, or None to go back to the start page.

    KeyError if there is no page with that id.
    """
    position = _position(defn, page_id)
    visible = {page.id for page in prune_answers(defn, answers).visible_pages()}
    for page in reversed(defn.pages[:position]):
        if page.id in visible:
            return page
    return None


def _valid_value(question: Question, value: Any) -> Any | None:
    """The value if it is a proper answer to the question, else None.

    Drops values a changed definition no longer offers, and anything of the wrong type.
    """
    if question.type in ("short_text", "long_text"):
        return value if isinstance(value, str) and value.strip() else None
    if question.type == "single_choice":
        return value if isinstance(value, str) and question.option(value) else None
    if question.type == "multiple_choice":
        if not isinstance(value, list | tuple):
            return None
        chosen = [v for v in value if isinstance(v, str) and question.option(v)]
        # Keep the order the options are listed in, without repeats.
        ordered = [o.value for o in question.options if o.value in chosen]
        return ordered or None
    if question.type == "scale":
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return value if value in question.scale_values() else None
    return None


def prune_answers(defn: SurveyDefinition, answers: Mapping[str, Any]) -> PrunedAnswers:
    """The answers without those to hidden or unknown questions, or that are not valid.

    For example, someone who changes their age band to under 16 loses their equality
    answers and contact details. Answers this returned for `defn` come back as they are.
    """
    if isinstance(answers, PrunedAnswers) and answers.is_for(defn):
        return answers
    pruned: dict[str, Any] = {}
    for page in defn.pages:
        # Conditions look only backwards, so `pruned` already holds what they need.
        if page.show_if is not None and not page.show_if.holds(pruned):
            continue
        for question in _shown_questions(page, pruned):
            value = _valid_value(question, answers.get(question.id))
            if value is not None:
                pruned[question.id] = value
    return PrunedAnswers(defn, pruned)


def missing_required(
    defn: SurveyDefinition, answers: Mapping[str, Any]
) -> list[tuple[Page, Question]]:
    """Visible required questions that have no answer, in survey order."""
    pruned = prune_answers(defn, answers)
    return [
        (page, question)
        for page in pruned.visible_pages()
        for question in pruned.visible_questions(page)
        if question.required and not is_answered(pruned.get(question.id))
    ]


def page_is_reachable(defn: SurveyDefinition, page_id: str, answers: Mapping[str, Any]) -> bool:
    """Whether someone may open this page now.

    It must be visible, and every visible page before it must have its required questions
    answered. Stops people skipping ahead by typing a page address.
    """
    pruned = prune_answers(defn, answers)
    for page in pruned.visible_pages():
        if page.id == page_id:
            return True
        for question in pruned.visible_questions(page):
            if question.required and not is_answered(pruned.get(question.id)):
                return False
    return False


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One row of the check your answers page."""

    page_id: str
    question_id: str
    label: str
    value: str


def display_value(question: Question, value: Any) -> str:
    """An answer as people should read it: option labels, "4: Quite safe", or "Not answered"."""
    if not is_answered(value):
        return NOT_ANSWERED
    if question.type in ("single_choice", "multiple_choice"):
        chosen = value if isinstance(value, list | tuple) else [value]
        labels = []
        for item in chosen:
            option = question.option(str(item))
            labels.append(option.label if option else str(item))
        return ", ".join(labels)
    if question.type == "scale":
        label = question.scale_labels.get(int(value))
        return f"{value}: {label}" if label else str(value)
    return str(value)


def summary_rows(defn: SurveyDefinition, answers: Mapping[str, Any]) -> list[SummaryRow]:
    """Every question the person was shown, with their answer, for check your answers.

    Contact questions are included so people see what they gave; the app still stores
    those apart from the answers.
    """
    pruned = prune_answers(defn, answers)
    return [
        SummaryRow(
            page_id=page.id,
            question_id=question.id,
            label=question.label,
            value=display_value(question, pruned.get(question.id)),
        )
        for page in pruned.visible_pages()
        for question in pruned.visible_questions(page)
    ]


def split_answers(
    defn: SurveyDefinition, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(answers without contact questions, contact answers), both pruned first.

    Hidden and unknown answers are dropped from both, so nothing the person was not
    asked (or took back) is ever stored.
    """
    pruned = prune_answers(defn, answers)
    contact_ids = {q.id for q in defn.questions() if q.contact}
    main = {k: v for k, v in pruned.items() if k not in contact_ids}
    contact = {k: v for k, v in pruned.items() if k in contact_ids}
    return main, contact
