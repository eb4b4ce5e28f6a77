"""Query parameters of the API, checked strictly.

The dashboard quietly ignores a filter it does not understand; a script
must not. Every bad value, unknown parameter or repeated parameter is a 400
problem naming the parameter, so a typo never silently widens the selection.
Values are checked against lists held in Python before any query runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import MultiDict

from app.api.problems import ApiProblem
from app.dashboard.summaries import Filters
from app.extensions import db
from app.models import Area, Question, Theme
from app.reference import AUDIENCES, SOURCES

FILTER_PARAMETERS = (
    "area",
    "question",
    "source",
    "audience",
    "age_band",
    "date_from",
    "date_to",
    "reviewed_only",
)
PAGE_PARAMETERS = ("theme", "after", "limit")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# The largest id the database's integer columns hold (PostgreSQL INTEGER).
MAX_ID = 2**31 - 1
# Dates outside these are surely typos (and the day after date.max does not exist).
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2999, 12, 31)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[0-9]{1,10}")
_TRUE = {"true"}
_FALSE = {"false"}


@dataclass(frozen=True)
class Reference:
    """The values the filters accept, read once per request."""

    areas: dict[int, str]
    questions: dict[str, str]
    age_bands: dict[str, str]


@dataclass(frozen=True)
class Page:
    """Which page of responses to return."""

    theme_id: str | None
    after: int
    limit: int


def reference() -> Reference:
    """Return the areas, questions and survey age bands, in their display order."""
    areas = {
        area.id: area.name for area in db.session.scalars(sa.select(Area).order_by(Area.position))
    }
    questions = {
        q.id: q.short_label
        for q in db.session.scalars(sa.select(Question).order_by(Question.position))
    }
    return Reference(areas, questions, age_bands())


def age_bands() -> dict[str, str]:
    """Return the age bands of the default survey (empty if it is not defined)."""
    from app.survey import services as survey_services

    try:
        defn = survey_services.definition(current_app.config["DEFAULT_SURVEY"])
    except survey_services.SurveyNotFound:
        return {}
    return {o.value: o.label for o in defn.question(defn.age_question).options}


def _bad(name: str, reason: str) -> ApiProblem:
    return ApiProblem(
        400,
        f"The parameter {name} is not valid: {reason}",
        code="invalid_parameter",
        errors=[{"parameter": name, "reason": reason}],
    )


def _single(args: MultiDict[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise _bad(unknown[0], f"this operation takes only {', '.join(allowed) or 'none'}")
    values = {}
    for name in args:
        given = args.getlist(name)
        if len(given) > 1:
            raise _bad(name, "give it at most once")
        values[name] = given[0]
    return values


def _choice(name: str, value: str, choices: dict[str, str]) -> str:
    if value not in choices:
        raise _bad(name, f"use one of {', '.join(choices)}")
    return value


def _date(name: str, value: str) -> date:
    if not _DATE.fullmatch(value):
        raise _bad(name, "use a date like 2026-03-14")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _bad(name, "that day does not exist") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise _bad(name, f"use a day from {MIN_DATE} to {MAX_DATE}")
    return day


def _integer(name: str, value: str, low: int, high: int) -> int:
    if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
        raise _bad(name, f"use a whole number from {low} to {high}")
    return int(value)


def filters_from(args: MultiDict[str, str], extra: tuple[str, ...] = ()) -> Filters:
    """Return the dashboard Filters the query string asks for; raise a 400 ApiProblem if bad.

    `extra` names further parameters the operation accepts (read by the caller).
    """
    values = _single(args, FILTER_PARAMETERS + extra)
    known = reference()
    area_id = None
    if "area" in values:
        area_id = _integer("area", values["area"], 1, MAX_ID)
        if area_id not in known.areas:
            raise _bad("area", "no area has this id (see the area enum in the OpenAPI document)")
    date_from = _date("date_from", values["date_from"]) if "date_from" in values else None
    date_to = _date("date_to", values["date_to"]) if "date_to" in values else None
    if date_from and date_to and date_from > date_to:
        raise _bad("date_to", "it is before date_from")
    reviewed = values.get("reviewed_only", "false")
    if reviewed not in _TRUE | _FALSE:
        raise _bad("reviewed_only", "use true or false")
    return Filters(
        area_id=area_id,
        question_id=_choice("question", values["question"], known.questions)
        if "question" in values
        else None,
        source=_choice("source", values["source"], SOURCES) if "source" in values else None,
        audience=_choice("audience", values["audience"], AUDIENCES)
        if "audience" in values
        else None,
        age_band=_choice("age_band", values["age_band"], known.age_bands)
        if "age_band" in values
        else None,
        date_from=date_from,
        date_to=date_to,
        reviewed_only=reviewed in _TRUE,
    )


def page_from(args: MultiDict[str, str]) -> Page:
    """Return the theme filter and the page the query string asks for (after `filters_from`)."""
    theme_id = args.get("theme")
    if theme_id is not None:
        themes = set(db.session.scalars(sa.select(Theme.id)))
        if theme_id not in themes:
            raise _bad("theme", "no theme has this id (GET /api/v1/themes lists them)")
    after = _integer("after", args["after"], 0, MAX_ID) if "after" in args else 0
    limit = (
        _integer("limit", args["limit"], 1, MAX_PAGE_SIZE) if "limit" in args else DEFAULT_PAGE_SIZE
    )
    return Page(theme_id, after, limit)


def no_parameters(args: MultiDict[str, str]) -> None:
    """Refuse any query parameter (for operations that take none)."""
    _single(args, ())


def describe(filters: Filters) -> dict[str, object]:
    """Return the filters as applied, for the response (None: not filtered)."""
    return {
        "area": filters.area_id,
        "question": filters.question_id,
        "source": filters.source,
        "audience": filters.audience,
        "age_band": filters.age_band,
        "date_from": filters.date_from.isoformat() if filters.date_from else None,
        "date_to": filters.date_to.isoformat() if filters.date_to else None,
        "reviewed_only": filters.reviewed_only,
    }
