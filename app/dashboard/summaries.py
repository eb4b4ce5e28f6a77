"""Theme summaries over the stored responses, for the dashboard.

Every figure names its unit: a share of responses (points made in sessions
and open survey answers), a share of sessions, or a share of survey
respondents. They are never mixed. Counts of survey respondents below the
small-number threshold are suppressed, so nobody can be picked out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    Area,
    Concept,
    ConversationSession,
    Question,
    Response,
    ResponseCode,
    SurveySubmission,
    Theme,
)


@dataclass(frozen=True)
class Filters:
    """What the strategy team narrowed the view to (None: everything)."""

    area_id: int | None = None
    question_id: str | None = None
    source: str | None = None
    audience: str | None = None
    age_band: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    reviewed_only: bool = False

    def survey_only(self) -> bool:
        """True when only survey answers can match (their counts are about respondents)."""
        return self.source == "survey" or self.age_band is not None


@dataclass(frozen=True)
class Count:
    """A count and its share of a total, or a suppressed small number."""

    count: int
    total: int
    suppressed: bool = False

    @property
    def share(self) -> float | None:
        """The share of the total, or None when suppressed or there is no total."""
        if self.suppressed or not self.total:
            return None
        return self.count / self.total

    @property
    def percent(self) -> str:
        """The share alone, as shown in a grid: "42%", "fewer than 5", or "–" for no data."""
        if self.suppressed:
            return "fewer than 5"
        if not self.total:
            return "–"
        return f"{round(100 * self.count / self.total)}%"

    @property
    def label(self) -> str:
        """The figure as shown: "42% (21)" or "fewer than 5"."""
        if self.suppressed:
            return "fewer than 5"
        if not self.total:
            return "0% (0)"
        return f"{round(100 * self.count / self.total)}% ({self.count})"


@dataclass(frozen=True)
class ThemeRow:
    """One theme's summary in three units."""

    theme_id: str
    label: str
    responses: Count
    sessions: Count
    respondents: Count


@dataclass
class Overview:
    """Everything the overview page shows for one set of filters."""

    total_responses: int
    total_sessions: int
    total_participants: int
    total_respondents: Count
    themes: list[ThemeRow]
    concepts: list[tuple[str, str, Count]]
    areas: list[tuple[int, str]]
    area_matrix: dict[tuple[str, int], Count] = field(default_factory=dict)
    questions: list[tuple[str, str]] = field(default_factory=list)
    question_matrix: dict[tuple[str, str], Count] = field(default_factory=dict)
    # Responses per month ("2026-03"), in order: by the session's date or the survey answer's.
    months: list[tuple[str, int]] = field(default_factory=list)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def filtered_responses(filters: Filters) -> sa.Select[Any]:
    """Return a query for the ids of the responses the filters select."""
    return filtered_columns(filters, Response.id)


def filtered_columns(filters: Filters, *columns: Any) -> sa.Select[Any]:
    """Return a query for `columns` of the responses the filters select.

    The filters are joined in place rather than as an `IN (subquery)`, so
    the database reads each response once.
    """
    query = (
        sa.select(*columns)
        .select_from(Response)
        .outerjoin(ConversationSession, ConversationSession.id == Response.session_id)
        .outerjoin(SurveySubmission, SurveySubmission.id == Response.submission_id)
        .where(sa.or_(Response.session_id.is_(None), ConversationSession.deleted_at.is_(None)))
    )
    if filters.area_id:
        query = query.where(Response.area_id == filters.area_id)
    if filters.question_id:
        query = query.where(Response.question_id == filters.question_id)
    if filters.source:
        query = query.where(Response.source == filters.source)
    if filters.audience:
        query = query.where(ConversationSession.audience == filters.audience)
    if filters.age_band:
        query = query.where(SurveySubmission.age_band == filters.age_band)
    if filters.date_from or filters.date_to:
        # A session point is dated by the session; a survey answer by its submission.
        session_dates = []
        survey_dates = []
        if filters.date_from:
            session_dates.append(ConversationSession.held_on >= filters.date_from)
            survey_dates.append(SurveySubmission.created_at >= _start_of(filters.date_from))
        if filters.date_to:
            session_dates.append(ConversationSession.held_on <= filters.date_to)
            survey_dates.append(
                SurveySubmission.created_at < _start_of(filters.date_to + timedelta(days=1))
            )
        query = query.where(
            sa.or_(
                sa.and_(Response.session_id.is_not(None), *session_dates),
                sa.and_(Response.submission_id.is_not(None), *survey_dates),
            )
        )
    if filters.reviewed_only:
        # An alias, so that a caller joining ResponseCode itself is not correlated away.
        human = aliased(ResponseCode)
        query = query.where(
            sa.exists().where(human.response_id == Response.id, human.source == "human")
        )
    return query


def _suppress(count: int, total: int, threshold: int, small: bool) -> Count:
    return Count(count, total, suppressed=small and count < threshold)


def overview(filters: Filters, threshold: int = 5) -> Overview:
    """Compute the overview for `filters`; survey cells under `threshold` are suppressed.

    One query reads each selected response once, with its applied themes
    gathered into one column, and everything is counted in a single pass.
    That is several times faster than a grouped query per table: the filters
    are evaluated once, not a dozen times.
    """
    themes = list(
        db.session.scalars(
            sa.select(Theme).where(Theme.retired_at.is_(None)).order_by(Theme.position)
        )
    )
    concept_rows = list(db.session.scalars(sa.select(Concept).order_by(Concept.position)))
    concepts_of: dict[str, list[str]] = {}
    for concept in concept_rows:
        for theme in concept.themes:
            if theme.retired_at is None:
                concepts_of.setdefault(theme.id, []).append(concept.id)
    areas = [(a.id, a.name) for a in db.session.scalars(sa.select(Area).order_by(Area.position))]
    questions = [
        (q.id, q.short_label)
        for q in db.session.scalars(sa.select(Question).order_by(Question.position))
    ]
    tally = _tally(filters, {theme.id for theme in themes}, concepts_of)
    survey_only = filters.survey_only()
    total_responses = tally.responses
    total_sessions = len(tally.session_responses)
    total_respondents = len(tally.submission_responses)

    rows = []
    for theme in themes:
        rows.append(
            ThemeRow(
                theme.id,
                theme.label,
                _suppress(
                    tally.theme_responses.get(theme.id, 0), total_responses, threshold, survey_only
                ),
                Count(len(tally.theme_sessions.get(theme.id, ())), total_sessions),
                _suppress(
                    len(tally.theme_submissions.get(theme.id, ())),
                    total_respondents,
                    threshold,
                    True,
                ),
            )
        )
    rows.sort(
        key=lambda row: (-(row.responses.count if not row.responses.suppressed else 0), row.label)
    )
    concepts = [
        (
            concept.id,
            concept.label,
            _suppress(
                tally.concept_responses.get(concept.id, 0), total_responses, threshold, survey_only
            ),
        )
        for concept in concept_rows
    ]
    theme_ids = [theme.id for theme in themes]
    area_matrix = {
        (theme_id, area_id): _suppress(
            tally.theme_areas.get((theme_id, area_id), 0),
            tally.area_totals.get(area_id, 0),
            threshold,
            survey_only,
        )
        for theme_id in theme_ids
        for area_id, _name in areas
    }
    question_matrix = {
        (theme_id, question_id): _suppress(
            tally.theme_questions.get((theme_id, question_id), 0),
            tally.question_totals.get(question_id, 0),
            threshold,
            survey_only,
        )
        for theme_id in theme_ids
        for question_id, _label in questions
    }
    return Overview(
        total_responses=total_responses,
        total_sessions=total_sessions,
        total_participants=tally.participants,
        total_respondents=_suppress(total_respondents, total_respondents, threshold, True),
        themes=rows,
        concepts=concepts,
        areas=areas,
        area_matrix=area_matrix,
        questions=questions,
        question_matrix=question_matrix,
        months=sorted(tally.months.items()),
    )


class response_month(sa.sql.functions.GenericFunction[str]):  # noqa: N801 (a SQL function)
    """The month a response is dated by, as "2026-03": its session's day, or its submission's time.

    Called with (ConversationSession.held_on, SurveySubmission.created_at).
    Worked out by the database, because turning 100,000 driver dates into
    Python objects only to take their month costs more than the query.
    """

    type = sa.String()
    inherit_cache = True


@compiles(response_month, "sqlite")
def _response_month_sqlite(element: response_month, compiler: Any, **kw: Any) -> str:
    # SQLite keeps dates and times as ISO text: the month is the first seven characters.
    held_on, sent_at = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"coalesce(substr({held_on}, 1, 7), substr({sent_at}, 1, 7))"


@compiles(response_month, "postgresql")
def _response_month_postgresql(element: response_month, compiler: Any, **kw: Any) -> str:
    held_on, sent_at = (compiler.process(arg, **kw) for arg in element.clauses)
    return (
        f"coalesce(to_char({held_on}, 'YYYY-MM'), to_char({sent_at} AT TIME ZONE 'UTC', 'YYYY-MM'))"
    )


@dataclass
class _Tally:
    """Counts gathered in one pass over the selected responses and their themes."""

    responses: int = 0
    # Responses per session and per survey submission (a respondent).
    session_responses: dict[int, int] = field(default_factory=dict)
    submission_responses: dict[int, int] = field(default_factory=dict)
    participants: int = 0
    area_totals: dict[int | None, int] = field(default_factory=dict)
    question_totals: dict[str, int] = field(default_factory=dict)
    theme_responses: dict[str, int] = field(default_factory=dict)
    theme_sessions: dict[str, set[int]] = field(default_factory=dict)
    theme_submissions: dict[str, set[int]] = field(default_factory=dict)
    theme_areas: dict[tuple[str, int | None], int] = field(default_factory=dict)
    theme_questions: dict[tuple[str, str], int] = field(default_factory=dict)
    concept_responses: dict[str, int] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)


# Joins a response's theme ids into one column; codebook ids are [a-z0-9_] only.
_THEME_SEPARATOR = ","


def _tally(filters: Filters, active: set[str], concepts_of: dict[str, list[str]]) -> _Tally:
    """Count responses, sessions and respondents, overall and per theme, area and question.

    One query returns a row per selected response with its applied theme ids
    joined into one string (None without a theme), and one loop counts
    everything. A response's month is its session's or submission's, so
    responses are counted per session and submission and dated afterwards
    (`_date_and_people`) rather than one by one.
    """
    # Each response's themes, gathered over the codes alone and joined once: on
    # PostgreSQL half the work of grouping the joined rows by response.
    themes_of = (
        sa.select(
            ResponseCode.response_id,
            sa.func.aggregate_strings(ResponseCode.theme_id, _THEME_SEPARATOR).label("themes"),
        )
        .where(ResponseCode.applied.is_(True))
        .group_by(ResponseCode.response_id)
        .subquery()
    )
    query = filtered_columns(
        filters,
        Response.session_id,
        Response.submission_id,
        Response.area_id,
        Response.question_id,
        themes_of.c.themes,
    ).outerjoin(themes_of, themes_of.c.response_id == Response.id)
    tally = _Tally()
    session_responses, submission_responses = tally.session_responses, tally.submission_responses
    area_totals, question_totals = tally.area_totals, tally.question_totals
    theme_sessions, theme_submissions = tally.theme_sessions, tally.theme_submissions
    for theme_id in active:
        theme_sessions[theme_id], theme_submissions[theme_id] = set(), set()
    # A response's themes as (active theme ids, concept ids), worked out once per combination.
    combinations: dict[str, tuple[list[str], list[str]]] = {}
    # Responses per theme combination, area and question: expanded per theme after the loop.
    coded: dict[tuple[str, int | None, str], int] = {}
    responses = 0
    # Core rows fetched in blocks, not ORM rows one by one: several times faster.
    # Small blocks, freed before they add up to the 700 new objects that start
    # Python's garbage collector: with blocks of 10,000 its collections took
    # as long as everything else here.
    result = db.session.connection().execute(query)
    for block in result.partitions(300):
        for session_id, submission_id, area_id, question_id, themes in block:
            responses += 1
            if session_id is not None:
                session_responses[session_id] = session_responses.get(session_id, 0) + 1
            elif submission_id is not None:
                submission_responses[submission_id] = submission_responses.get(submission_id, 0) + 1
            area_totals[area_id] = area_totals.get(area_id, 0) + 1
            question_totals[question_id] = question_totals.get(question_id, 0) + 1
            if themes is None:
                continue
            combination = combinations.get(themes)
            if combination is None:
                combination = combinations[themes] = _combination(themes, active, concepts_of)
            key = (themes, area_id, question_id)
            coded[key] = coded.get(key, 0) + 1
            if session_id is not None:
                for theme_id in combination[0]:
                    theme_sessions[theme_id].add(session_id)
            elif submission_id is not None:
                for theme_id in combination[0]:
                    theme_submissions[theme_id].add(submission_id)
    tally.responses = responses
    theme_responses, theme_areas = tally.theme_responses, tally.theme_areas
    theme_questions, concept_responses = tally.theme_questions, tally.concept_responses
    for (themes, area_id, question_id), count in coded.items():
        theme_ids, concept_ids = combinations[themes]
        for theme_id in theme_ids:
            theme_responses[theme_id] = theme_responses.get(theme_id, 0) + count
            area_key = (theme_id, area_id)
            theme_areas[area_key] = theme_areas.get(area_key, 0) + count
            question_key = (theme_id, question_id)
            theme_questions[question_key] = theme_questions.get(question_key, 0) + count
        for concept_id in concept_ids:
            concept_responses[concept_id] = concept_responses.get(concept_id, 0) + count
    _date_and_people(tally)
    return tally


def _combination(
    themes: str, active: set[str], concepts_of: dict[str, list[str]]
) -> tuple[list[str], list[str]]:
    """Split joined theme ids into the active themes and their concepts, each concept once."""
    theme_ids = [theme_id for theme_id in themes.split(_THEME_SEPARATOR) if theme_id in active]
    concept_ids: list[str] = []
    for theme_id in theme_ids:
        concept_ids.extend(c for c in concepts_of.get(theme_id, ()) if c not in concept_ids)
    return theme_ids, concept_ids


def _date_and_people(tally: _Tally) -> None:
    """Fill in the tally's months and participants from its counts per session and submission.

    A response is dated by its session or survey submission (`response_month`),
    so each session and submission is dated once: a few thousand rows rather
    than a date for every response.
    """
    months = tally.months
    if tally.session_responses:
        counts = tally.session_responses
        no_time = sa.cast(sa.null(), SurveySubmission.created_at.type)
        for session_id, participants, month in db.session.execute(
            sa.select(
                ConversationSession.id,
                ConversationSession.participants,
                response_month(ConversationSession.held_on, no_time),
            ).where(ConversationSession.deleted_at.is_(None))
        ):
            count = counts.get(session_id)
            if count is None:
                continue
            tally.participants += participants
            if month is not None:
                months[month] = months.get(month, 0) + count
    if tally.submission_responses:
        counts = tally.submission_responses
        no_day = sa.cast(sa.null(), ConversationSession.held_on.type)
        for submission_id, month in db.session.execute(
            sa.select(SurveySubmission.id, response_month(no_day, SurveySubmission.created_at))
        ):
            count = counts.get(submission_id)
            if count is not None and month is not None:
                months[month] = months.get(month, 0) + count


def responses_by_month(filters: Filters) -> list[tuple[str, int]]:
    """Responses per month under `filters`, in order.

    A session's points are dated by the day the session was held, a survey
    answer by the day it was sent: the same dates the date filters use.
    """
    month = _month()
    query = filtered_columns(filters, month, sa.func.count(Response.id)).group_by(month)
    return sorted((str(label), int(count)) for label, count in db.session.execute(query) if label)


def _month() -> sa.ColumnElement[str]:
    """The month ("2026-03") each response is dated by; see `response_month`."""
    return response_month(ConversationSession.held_on, SurveySubmission.created_at)


@dataclass
class ThemeSummary:
    """What a theme's page shows: its figures, where and under which question, and when."""

    row: ThemeRow
    areas: list[tuple[int, str, Count]]
    questions: list[tuple[str, str, Count]]
    months: list[tuple[str, Count]]


def theme_summary(filters: Filters, theme: Theme, threshold: int = 5) -> ThemeSummary:
    """Compute one theme's figures under `filters`, with the same units as the overview.

    Two grouped queries rather than the whole overview, both by session or
    survey submission and area, with a column per question: one over the
    selected responses (which also gives the distinct sessions and
    respondents, and dates each session and submission once rather than
    every response), one over those coded with this theme, found from the
    theme's own codes. As on the overview's trend, a response with no date
    (neither a session nor a submission) is counted only among the sessions
    and respondents.
    """
    survey_only = filters.survey_only()
    questions = list(db.session.scalars(sa.select(Question).order_by(Question.position)))
    # One key per origin: a session's id, or minus a survey submission's (ids are positive).
    origin = sa.func.coalesce(Response.session_id, -Response.submission_id).label("origin")
    counts = [
        sa.func.count(Response.id).label("responses"),
        *(
            sa.func.sum(sa.case((Response.question_id == question.id, 1), else_=0)).label(
                f"question_{number}"
            )
            for number, question in enumerate(questions)
        ),
    ]
    by_origin = (
        filtered_columns(filters, origin, Response.area_id, *counts)
        .group_by(origin, Response.area_id)
        .subquery()
    )
    month_of: dict[int, str] = {}
    sessions: set[int] = set()
    respondents: set[int] = set()
    totals = _MonthAreaQuestion(questions)
    for key, area_id, month, *numbers in db.session.execute(
        sa.select(
            by_origin.c.origin,
            by_origin.c.area_id,
            response_month(ConversationSession.held_on, SurveySubmission.created_at),
            *by_origin.c[2:],
        )
        .select_from(by_origin)
        .outerjoin(ConversationSession, ConversationSession.id == by_origin.c.origin)
        .outerjoin(SurveySubmission, SurveySubmission.id == -by_origin.c.origin)
    ):
        if key is not None:
            (sessions if key > 0 else respondents).add(key)
        if month is not None:
            month_of[key] = month
            totals.add(month, area_id, numbers)

    # An alias, so that the reviewed_only filter's own ResponseCode stays separate.
    code = aliased(ResponseCode)
    theme_sessions: set[int] = set()
    theme_respondents: set[int] = set()
    hits = _MonthAreaQuestion(questions)
    for key, area_id, *numbers in db.session.execute(
        filtered_columns(filters, origin, Response.area_id, *counts)
        .join(
            code,
            sa.and_(
                code.response_id == Response.id,
                code.theme_id == theme.id,
                code.applied.is_(True),
            ),
        )
        .group_by(origin, Response.area_id)
    ):
        if key is not None:
            (theme_sessions if key > 0 else theme_respondents).add(key)
        month = month_of.get(key)
        if month is not None:
            hits.add(month, area_id, numbers)

    def figure(hit: dict[Any, int], total: dict[Any, int], key: Any) -> Count:
        return _suppress(hit.get(key, 0), total.get(key, 0), threshold, survey_only)

    row = ThemeRow(
        theme.id,
        theme.label,
        _suppress(sum(hits.month.values()), sum(totals.month.values()), threshold, survey_only),
        Count(len(theme_sessions), len(sessions)),
        _suppress(len(theme_respondents), len(respondents), threshold, True),
    )
    areas = [
        (area.id, area.name, figure(hits.area, totals.area, area.id))
        for area in db.session.scalars(sa.select(Area).order_by(Area.position))
    ]
    areas.sort(key=lambda item: -(item[2].share or 0))
    return ThemeSummary(
        row=row,
        areas=areas,
        questions=[
            (question.id, question.short_label, figure(hits.question, totals.question, question.id))
            for question in questions
        ],
        months=[(month, figure(hits.month, totals.month, month)) for month in sorted(totals.month)],
    )


class _MonthAreaQuestion:
    """Responses counted by month, by area and by question, from rows with a count per question."""

    def __init__(self, questions: list[Question]) -> None:
        self.question_ids = [question.id for question in questions]
        self.month: dict[str, int] = {}
        self.area: dict[int | None, int] = {}
        self.question: dict[str, int] = dict.fromkeys(self.question_ids, 0)

    def add(self, month: str, area_id: int | None, numbers: list[int]) -> None:
        """Add a row: its number of responses, then the number under each question."""
        self.month[month] = self.month.get(month, 0) + numbers[0]
        self.area[area_id] = self.area.get(area_id, 0) + numbers[0]
        for question_id, number in zip(self.question_ids, numbers[1:], strict=True):
            self.question[question_id] += number
