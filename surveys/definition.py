"""Survey definitions: YAML files checked against a schema and turned into frozen objects.

A definition is checked in two steps. `schema.json` (JSON Schema) checks the shape of
the file; the Python checks here cover what needs the whole survey: unique ids,
conditions that only look backwards, fields that only make sense for some question
types, and the questions the app relies on (area, age band, contact).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import jsonschema
import jsonschema.exceptions
import yaml

__all__ = [
    "DEFINITIONS_DIR",
    "QUESTION_TYPES",
    "Condition",
    "Option",
    "Page",
    "Question",
    "SurveyDefinition",
    "SurveyDefinitionError",
    "is_answered",
    "load_definition",
    "load_definitions",
]

PACKAGE_DIR: Final = Path(__file__).resolve().parent
DEFINITIONS_DIR: Final = PACKAGE_DIR / "definitions"
SCHEMA_FILE: Final = PACKAGE_DIR / "schema.json"

QUESTION_TYPES: Final = ("short_text", "long_text", "single_choice", "multiple_choice", "scale")
TEXT_TYPES: Final = frozenset({"short_text", "long_text"})
CHOICE_TYPES: Final = frozenset({"single_choice", "multiple_choice"})

# Mirrors app.reference.QUESTION_IDS; surveys must not import the app package.
# tests/surveys/test_surveys_definition.py checks the two stay the same.
CONVERSATION_QUESTION_IDS: Final = ("what_where", "why", "impact", "help")

MAX_LENGTH_RANGE: Final = (1, 5000)
DEFAULT_MAX_LENGTH: Final[Mapping[str, int]] = MappingProxyType(
    {"short_text": 200, "long_text": 2000}
)
# Question ids become form field names, so they must not hide a form's own attributes
# or the fields every page form has (CSRF token, the "website" honeypot, the button).
RESERVED_QUESTION_IDS: Final = frozenset(
    {
        "meta",
        "data",
        "errors",
        "form_errors",
        "hidden_tag",
        "is_submitted",
        "populate_obj",
        "post_process",
        "process",
        "validate",
        "validate_on_submit",
        "extra_validators",
        "csrf_token",
        "website",
        "submit",
    }
)
# A scale wider than this is a list of numbers nobody can tell apart on a phone.
MAX_SCALE_POINTS: Final = 11


def is_answered(value: Any) -> bool:
    """Whether a stored answer counts as given: not None, not blank text, not an empty list."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return len(value) > 0
    return isinstance(value, int)


class SurveyDefinitionError(Exception):
    """A survey definition that cannot be used, with where and why on one line."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        """Record the file, the field path (like ``pages[2].questions[0].type``) and the problem."""
        self.file = file
        self.field = field
        self.problem = " ".join(problem.split())
        super().__init__(f"{file}: {field}: {self.problem}")


@dataclass(frozen=True, slots=True)
class Option:
    """One answer people can choose in a single or multiple choice question."""

    value: str
    label: str
    hint: str | None = None
    # "Prefer not to say" in checkboxes: cannot be ticked together with other options.
    exclusive: bool = False


@dataclass(frozen=True, slots=True)
class Condition:
    """Show a page or question only when an earlier answer meets this test."""

    question: str
    equals: str | None = None
    in_: tuple[str, ...] | None = None
    not_in: tuple[str, ...] | None = None
    answered: bool | None = None

    def holds(self, answers: Mapping[str, Any]) -> bool:
        """Whether the condition is met by these answers.

        A multiple choice answer (a list) meets ``equals``/``in`` if any chosen value
        matches and ``not_in`` if none does. On an unanswered question ``equals`` and
        ``in`` fail, ``not_in`` holds and ``answered`` is False.
        """
        value = answers.get(self.question)
        answered = is_answered(value)
        if self.answered is not None:
            return answered is self.answered
        if not answered:
            return self.not_in is not None
        chosen = {str(v) for v in value} if isinstance(value, list) else {str(value)}
        if self.equals is not None:
            return self.equals in chosen
        if self.in_ is not None:
            return not chosen.isdisjoint(self.in_)
        if self.not_in is not None:
            return chosen.isdisjoint(self.not_in)
        return True


@dataclass(frozen=True, slots=True)
class Question:
    """One question: what is asked, how it is answered and when it is shown."""

    id: str
    type: str
    label: str
    hint: str | None
    required: bool
    options: tuple[Option, ...]
    feeds: str | None
    max_length: int | None
    scale_min: int | None
    scale_max: int | None
    # A read-only mapping, which cannot be hashed: hash the question without it.
    scale_labels: Mapping[int, str] = field(hash=False)
    show_if: Condition | None
    required_message: str | None
    # Follow-up contact details: the app stores these apart from the answers, never with them.
    contact: bool

    @property
    def is_open(self) -> bool:
        """Whether this is a free-text question feeding one of the four conversation questions."""
        return self.type in TEXT_TYPES and self.feeds is not None

    def option(self, value: str) -> Option | None:
        """The option with this value, or None."""
        for option in self.options:
            if option.value == value:
                return option
        return None

    def scale_values(self) -> list[int]:
        """The points of a scale question, lowest first (empty for other types)."""
        if self.scale_min is None or self.scale_max is None:
            return []
        return list(range(self.scale_min, self.scale_max + 1))


@dataclass(frozen=True, slots=True)
class Page:
    """One screen of the survey."""

    id: str
    title: str | None
    intro: str | None
    questions: tuple[Question, ...]
    show_if: Condition | None

    @property
    def heading(self) -> str:
        """The page heading: its title, or the label of its only question."""
        if self.title is not None:
            return self.title
        return self.questions[0].label


@dataclass(frozen=True, slots=True)
class SurveyDefinition:
    """A whole survey: the start page content and its pages in order."""

    id: str
    title: str
    version: int
    summary: str
    duration: str
    start_paragraphs: tuple[str, ...]
    who_sees: str
    pages: tuple[Page, ...]
    area_question: str
    age_question: str
    source_file: str
    _questions: Mapping[str, Question] = field(init=False, repr=False, compare=False, hash=False)
    _pages: Mapping[str, Page] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        """Index pages and questions by id."""
        questions = {q.id: q for p in self.pages for q in p.questions}
        object.__setattr__(self, "_questions", MappingProxyType(questions))
        object.__setattr__(self, "_pages", MappingProxyType({p.id: p for p in self.pages}))

    def page(self, page_id: str) -> Page:
        """The page with this id; KeyError if there is none."""
        return self._pages[page_id]

    def question(self, question_id: str) -> Question:
        """The question with this id; KeyError if there is none."""
        return self._questions[question_id]

    def questions(self) -> list[Question]:
        """Every question, in the order they are asked."""
        return list(self._questions.values())

    def open_questions(self) -> list[Question]:
        """The free-text questions that feed the four conversation questions."""
        return [q for q in self._questions.values() if q.is_open]

    def page_of(self, question_id: str) -> Page:
        """The page a question is on; KeyError if there is no such question."""
        for page in self.pages:
            if any(q.id == question_id for q in page.questions):
                return page
        raise KeyError(question_id)


# --- loading -------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, which PyYAML would silently overwrite."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)  # type: ignore[no-untyped-call]
    return mapping


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)  # type: ignore[no-any-return]


def _display_file(path: Path) -> str:
    """The path as people will recognise it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PACKAGE_DIR.parent))
    except ValueError:
        return str(path)


def _field_path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


_TYPE_NAMES: Final = {
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}


def _describe(value: Any) -> str:
    return repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__


def _schema_problem(error: jsonschema.exceptions.ValidationError) -> tuple[list[str | int], str]:
    """Turn a JSON Schema error into (field path, plain problem)."""
    path: list[str | int] = list(error.absolute_path)
    kind = error.validator
    value = error.validator_value
    if kind == "enum":
        allowed = ", ".join(repr(v) for v in value)
        return path, f"{_describe(error.instance)} is not one of {allowed}"
    if kind == "required":
        missing = [name for name in value if name not in error.instance]
        return [*path, missing[0]], "is required but missing"
    if kind == "additionalProperties":
        extra = sorted(
            str(k) for k in error.instance if k not in error.schema.get("properties", {})
        )
        return [*path, extra[0]], "is not a known field (check the spelling)"
    if kind == "type":
        return (
            path,
            f"must be {_TYPE_NAMES.get(str(value), value)}, not {_describe(error.instance)}",
        )
    if kind == "pattern":
        if value == "\\S":
            return path, "must not be blank"
        return path, (
            f"{_describe(error.instance)} must use only lower-case letters, digits, "
            f"'-' or '_' (pattern {value})"
        )
    if kind == "minLength":
        return path, "must not be blank"
    if kind == "maxLength":
        return path, f"must be {value} characters or fewer"
    if kind == "minItems":
        return path, f"must have at least {value} item{'s' if value != 1 else ''}"
    if kind == "minimum":
        return path, f"must be {value} or more"
    return path, error.message


def _fail(file: str, path: Sequence[str | int], problem: str) -> SurveyDefinitionError:
    return SurveyDefinitionError(file, _field_path(path), problem)


def load_definition(path: Path) -> SurveyDefinition:
    """Read, check and build one survey definition; SurveyDefinitionError if it is broken."""
    file = _display_file(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SurveyDefinitionError(file, "(file)", f"cannot be read: {exc}") from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = exc.problem or exc.context or "invalid YAML"
        raise SurveyDefinitionError(file, where, f"invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise SurveyDefinitionError(file, "(file)", f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SurveyDefinitionError(file, "(top level)", "must be a mapping of fields")

    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        field_path, problem = _schema_problem(error)
        raise _fail(file, field_path, problem)
    return _Builder(file, data).build()


def load_definitions(directory: Path = DEFINITIONS_DIR) -> dict[str, SurveyDefinition]:
    """Load every ``*.yaml`` definition in a directory, keyed by survey id."""
    definitions: dict[str, SurveyDefinition] = {}
    for path in sorted(directory.glob("*.yaml")):
        definition = load_definition(path)
        if definition.id in definitions:
            other = definitions[definition.id].source_file
            raise SurveyDefinitionError(
                definition.source_file,
                "id",
                f"{definition.id!r} is already used by {other}",
            )
        definitions[definition.id] = definition
    return definitions


class _Builder:
    """Builds a definition from schema-valid data, applying the whole-survey checks."""

    def __init__(self, file: str, data: dict[str, Any]) -> None:
        self.file = file
        self.data = data
        # Question id -> (page index, position on the page, question), filled page by page.
        self.seen: dict[str, tuple[int, int, Question]] = {}

    def fail(self, path: Sequence[str | int], problem: str) -> SurveyDefinitionError:
        return _fail(self.file, path, problem)

    def build(self) -> SurveyDefinition:
        pages: list[Page] = []
        page_ids: set[str] = set()
        for p_index, page_data in enumerate(self.data["pages"]):
            path: list[str | int] = ["pages", p_index]
            if page_data["id"] in page_ids:
                raise self.fail([*path, "id"], f"duplicate page id {page_data['id']!r}")
            page_ids.add(page_data["id"])
            pages.append(self.page(path, p_index, page_data))

        area = self.special_question("area_question", "single_choice")
        age = self.special_question("age_question", "single_choice")
        for key, question in (("area_question", area), ("age_question", age)):
            page = next(p for p in pages if question in p.questions)
            if question.contact:
                raise self.fail([key], f"{question.id!r} is a contact question")
            if question.show_if is not None or page.show_if is not None:
                raise self.fail([key], f"{question.id!r} must be asked of everyone (no show_if)")
        return SurveyDefinition(
            id=self.data["id"],
            title=self.data["title"],
            version=self.data["version"],
            summary=self.data["summary"],
            duration=self.data["duration"],
            start_paragraphs=tuple(self.data["start_paragraphs"]),
            who_sees=self.data["who_sees"],
            pages=tuple(pages),
            area_question=area.id,
            age_question=age.id,
            source_file=self.file,
        )

    def special_question(self, key: str, expected_type: str) -> Question:
        question_id = self.data[key]
        if question_id not in self.seen:
            raise self.fail([key], f"no question has the id {question_id!r}")
        question = self.seen[question_id][2]
        if question.type != expected_type:
            raise self.fail(
                [key], f"{question_id!r} is a {question.type} question; it must be {expected_type}"
            )
        return question

    def page(self, path: list[str | int], p_index: int, data: dict[str, Any]) -> Page:
        show_if = self.condition([*path, "show_if"], data.get("show_if"), p_index, 0)
        questions: list[Question] = []
        for q_index, question_data in enumerate(data["questions"]):
            q_path: list[str | int] = [*path, "questions", q_index]
            question = self.question(q_path, p_index, q_index, question_data)
            self.seen[question.id] = (p_index, q_index, question)
            questions.append(question)
        if len(questions) > 1 and "title" not in data:
            raise self.fail(
                [*path, "title"], "a page with more than one question must have a title"
            )
        return Page(
            id=data["id"],
            title=data.get("title"),
            intro=data.get("intro"),
            questions=tuple(questions),
            show_if=show_if,
        )

    def question(
        self, path: list[str | int], p_index: int, q_index: int, data: dict[str, Any]
    ) -> Question:
        question_id = data["id"]
        qtype = data["type"]
        if question_id in RESERVED_QUESTION_IDS:
            raise self.fail([*path, "id"], f"{question_id!r} is reserved; choose another id")
        if question_id in self.seen:
            first = self.seen[question_id]
            raise self.fail(
                [*path, "id"],
                f"duplicate question id {question_id!r} "
                f"(already used at pages[{first[0]}].questions[{first[1]}])",
            )

        def forbid(key: str, reason: str) -> None:
            if key in data:
                raise self.fail([*path, key], reason)

        options = self.options(path, qtype, data, forbid)

        feeds = data.get("feeds")
        if feeds is not None:
            if qtype not in TEXT_TYPES:
                raise self.fail([*path, "feeds"], f"only text questions can feed, not {qtype}")
            if feeds not in CONVERSATION_QUESTION_IDS:
                allowed = ", ".join(repr(q) for q in CONVERSATION_QUESTION_IDS)
                raise self.fail([*path, "feeds"], f"{feeds!r} is not one of {allowed}")
        contact = bool(data.get("contact", False))
        if qtype == "long_text" and feeds is None and not contact:
            raise self.fail(
                [*path, "feeds"],
                "an open (long_text) question must say which conversation question it feeds",
            )

        max_length: int | None = None
        if qtype in TEXT_TYPES:
            max_length = data.get("max_length", DEFAULT_MAX_LENGTH[qtype])
            low, high = MAX_LENGTH_RANGE
            if not low <= max_length <= high:  # type: ignore[operator]
                raise self.fail(
                    [*path, "max_length"], f"{max_length} is not between {low} and {high}"
                )
        else:
            forbid("max_length", f"only text questions have max_length, not {qtype}")

        scale_min, scale_max, scale_labels = self.scale(path, qtype, data, forbid)

        required = bool(data.get("required", False))
        if not required:
            forbid("required_message", "only required questions have a required_message")
        show_if = self.condition([*path, "show_if"], data.get("show_if"), p_index, q_index)
        if show_if is not None and required:
            # A page's form cannot know earlier answers, so it would insist on a hidden question.
            raise self.fail(
                [*path, "show_if"],
                "a required question cannot have show_if; put show_if on its page instead",
            )
        if contact and qtype not in TEXT_TYPES | CHOICE_TYPES:
            raise self.fail([*path, "contact"], f"a {qtype} question cannot be a contact question")
        if contact and feeds is not None:
            raise self.fail([*path, "feeds"], "a contact question cannot feed the analysis")

        return Question(
            id=question_id,
            type=qtype,
            label=data["label"],
            hint=data.get("hint"),
            required=required,
            options=options,
            feeds=feeds,
            max_length=max_length,
            scale_min=scale_min,
            scale_max=scale_max,
            scale_labels=MappingProxyType(scale_labels),
            show_if=show_if,
            required_message=data.get("required_message"),
            contact=contact,
        )

    def options(
        self, path: list[str | int], qtype: str, data: dict[str, Any], forbid: Any
    ) -> tuple[Option, ...]:
        if qtype not in CHOICE_TYPES:
            forbid("options", f"only choice questions have options, not {qtype}")
            return ()
        if "options" not in data:
            raise self.fail([*path, "options"], f"a {qtype} question needs options")
        options: list[Option] = []
        values: set[str] = set()
        for o_index, option_data in enumerate(data["options"]):
            o_path = [*path, "options", o_index]
            value = option_data["value"]
            if value in values:
                raise self.fail([*o_path, "value"], f"duplicate option value {value!r}")
            values.add(value)
            exclusive = bool(option_data.get("exclusive", False))
            if exclusive and qtype != "multiple_choice":
                raise self.fail(
                    [*o_path, "exclusive"], "only multiple_choice options can be exclusive"
                )
            options.append(
                Option(
                    value=value,
                    label=option_data["label"],
                    hint=option_data.get("hint"),
                    exclusive=exclusive,
                )
            )
        return tuple(options)

    def scale(
        self, path: list[str | int], qtype: str, data: dict[str, Any], forbid: Any
    ) -> tuple[int | None, int | None, dict[int, str]]:
        if qtype != "scale":
            for key in ("scale_min", "scale_max", "scale_labels"):
                forbid(key, f"only scale questions have {key}, not {qtype}")
            return None, None, {}
        for key in ("scale_min", "scale_max"):
            if key not in data:
                raise self.fail([*path, key], "a scale question needs scale_min and scale_max")
        low, high = data["scale_min"], data["scale_max"]
        if low >= high:
            raise self.fail(
                [*path, "scale_max"], f"scale_max ({high}) must be more than scale_min ({low})"
            )
        if high - low + 1 > MAX_SCALE_POINTS:
            raise self.fail(
                [*path, "scale_max"], f"a scale can have at most {MAX_SCALE_POINTS} points"
            )
        labels: dict[int, str] = {}
        for key, label in data.get("scale_labels", {}).items():
            # YAML reads `1:` as an int but `"1":` as text; accept both.
            if isinstance(key, bool) or not re.fullmatch(r"-?\d+", str(key)):
                raise self.fail([*path, "scale_labels", str(key)], "must be a whole number")
            point = int(key)
            if not low <= point <= high:
                raise self.fail(
                    [*path, "scale_labels", str(key)], f"{point} is not between {low} and {high}"
                )
            labels[point] = label
        return low, high, dict(sorted(labels.items()))

    def condition(
        self, path: list[str | int], data: dict[str, Any] | None, p_index: int, q_index: int
    ) -> Condition | None:
        if data is None:
            return None
        tests = [key for key in ("equals", "in", "not_in", "answered") if key in data]
        if len(tests) != 1:
            raise self.fail(path, "needs exactly one of 'equals', 'in', 'not_in' or 'answered'")
        target_id = data["question"]
        if target_id not in self.seen:
            if any(
                q.get("id") == target_id for page in self.data["pages"] for q in page["questions"]
            ):
                raise self.fail(
                    [*path, "question"],
                    f"{target_id!r} is on the same or a later page; "
                    "a condition can only use answers from earlier pages",
                )
            raise self.fail([*path, "question"], f"no question has the id {target_id!r}")
        target_page = self.seen[target_id][0]
        if target_page >= p_index:
            raise self.fail(
                [*path, "question"],
                f"{target_id!r} is on the same or a later page; "
                "a condition can only use answers from earlier pages",
            )
        target = self.seen[target_id][2]

        test = tests[0]
        if test != "answered":
            compared = [data[test]] if test == "equals" else list(data[test])
            allowed = self.comparable_values(target)
            if allowed is None:
                raise self.fail(
                    [*path, test],
                    f"{target_id!r} is a {target.type} question; only 'answered' can test it",
                )
            for value in compared:
                if value not in allowed:
                    raise self.fail([*path, test], f"{value!r} is not an answer to {target_id!r}")
        return Condition(
            question=target_id,
            equals=data.get("equals"),
            in_=tuple(data["in"]) if "in" in data else None,
            not_in=tuple(data["not_in"]) if "not_in" in data else None,
            answered=data.get("answered"),
        )

    @staticmethod
    def comparable_values(question: Question) -> set[str] | None:
        if question.type in CHOICE_TYPES:
            return {o.value for o in question.options}
        if question.type == "scale":
            return {str(v) for v in question.scale_values()}
        return None
