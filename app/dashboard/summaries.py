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

    One query reads each selected response with its applied themes (a
    response without a theme comes once, with none) and everything is
    counted in a single pass. That is several times faster than a grouped
    query per table: the filters are evaluated once, not a dozen times.
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
    total_sessions = len(tally.sessions)
    total_respondents = len(tally.submissions)

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
        total_participants=_participants(tally.sessions),
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
    sessions: set[int] = field(default_factory=set)
    submissions: set[int] = field(default_factory=set)
    area_totals: dict[int | None, int] = field(default_factory=dict)
    question_totals: dict[str, int] = field(default_factory=dict)
    theme_responses: dict[str, int] = field(default_factory=dict)
    theme_sessions: dict[str, set[int]] = field(default_factory=dict)
    theme_submissions: dict[str, set[int]] = field(default_factory=dict)
    theme_areas: dict[tuple[str, int | None], int] = field(default_factory=dict)
    theme_questions: dict[tuple[str, str], int] = field(default_factory=dict)
    concept_responses: dict[str, int] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)


def _tally(filters: Filters, active: set[str], concepts_of: dict[str, list[str]]) -> _Tally:
    """Count responses, sessions and respondents, overall and per theme, area and question.

    One query returns a row per selected response and applied theme (a
    response with no theme comes once, with None), in response order, and
    one loop counts everything. (Measured: faster than several grouped
    queries, and faster than building columns with zip and Counter.)
    """
    query = (
        filtered_columns(
            filters,
            Response.id,
            Response.session_id,
            Response.submission_id,
            Response.area_id,
            Response.question_id,
            ResponseCode.theme_id,
            _month(),
        )
        .outerjoin(
            ResponseCode,
            sa.and_(ResponseCode.response_id == Response.id, ResponseCode.applied.is_(True)),
        )
        .order_by(Response.id)
    )
    tally = _Tally()
    sessions, submissions = tally.sessions, tally.submissions
    area_totals, question_totals = tally.area_totals, tally.question_totals
    theme_responses, theme_areas = tally.theme_responses, tally.theme_areas
    theme_questions, concept_responses = tally.theme_questions, tally.concept_responses
    theme_sessions, theme_submissions = tally.theme_sessions, tally.theme_submissions
    months = tally.months
    for theme_id in active:
        theme_sessions[theme_id], theme_submissions[theme_id] = set(), set()
    last_id = None
    seen_concepts: set[str] = set()
    responses = 0
    # Core rows fetched in blocks, not ORM rows one by one: several times faster.
    result = db.session.connection().execute(query)
    for block in result.partitions(10_000):
        for row in block:
            response_id, session_id, submission_id, area_id, question_id, theme_id = row[:6]
            if response_id != last_id:
                # Rows come in response order: the first row of a response counts it.
                last_id = response_id
                seen_concepts = set()
                responses += 1
                if session_id is not None:
                    sessions.add(session_id)
                elif submission_id is not None:
                    submissions.add(submission_id)
                area_totals[area_id] = area_totals.get(area_id, 0) + 1
                question_totals[question_id] = question_totals.get(question_id, 0) + 1
                month = row[6]
                if month is not None:
                    months[month] = months.get(month, 0) + 1
            if theme_id not in active:
                continue  # no theme, or a retired one
            theme_responses[theme_id] = theme_responses.get(theme_id, 0) + 1
            if session_id is not None:
                theme_sessions[theme_id].add(session_id)
            elif submission_id is not None:
                theme_submissions[theme_id].add(submission_id)
            key = (theme_id, area_id)
            theme_areas[key] = theme_areas.get(key, 0) + 1
            key2 = (theme_id, question_id)
            theme_questions[key2] = theme_questions.get(key2, 0) + 1
            for concept_id in concepts_of.get(theme_id, ()):
                if concept_id not in seen_concepts:
                    seen_concepts.add(concept_id)
                    concept_responses[concept_id] = concept_responses.get(concept_id, 0) + 1
    tally.responses = responses
    return tally


def _participants(session_ids: set[int]) -> int:
    """Return how many people took part in these sessions."""
    if not session_ids:
        return 0
    counts = {
        session_id: participants
        for session_id, participants in db.session.execute(
            sa.select(ConversationSession.id, ConversationSession.participants).where(
                ConversationSession.deleted_at.is_(None)
            )
        )
    }
    return sum(counts.get(session_id, 0) for session_id in session_ids)


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

    Cheaper than the whole overview: two passes over the selected responses
    (counts by month, area and question; distinct sessions and respondents)
    and two over the responses coded with this theme alone.
    """
    survey_only = filters.survey_only()
    keys = (_month(), Response.area_id, Response.question_id)
    coded = filtered_columns(filters, *keys, sa.func.count(Response.id)).join(
        ResponseCode,
        sa.and_(
            ResponseCode.response_id == Response.id,
            ResponseCode.theme_id == theme.id,
            ResponseCode.applied.is_(True),
        ),
    )
    everything = filtered_columns(filters, *keys, sa.func.count(Response.id))
    totals = _by_key(everything.group_by(*keys))
    hits = _by_key(coded.group_by(*keys))
    distinct = (
        sa.func.count(sa.distinct(Response.session_id)),
        sa.func.count(sa.distinct(Response.submission_id)),
    )
    total_sessions, total_respondents = db.session.execute(
        filtered_columns(filters, *distinct)
    ).one()
    theme_sessions, theme_respondents = db.session.execute(coded.with_only_columns(*distinct)).one()
    row = ThemeRow(
        theme.id,
        theme.label,
        _suppress(_sum(hits), _sum(totals), threshold, survey_only),
        Count(int(theme_sessions), int(total_sessions)),
        _suppress(int(theme_respondents), int(total_respondents), threshold, True),
    )
    areas = [
        (
            area.id,
            area.name,
            _suppress(_sum(hits, area=area.id), _sum(totals, area=area.id), threshold, survey_only),
        )
        for area in db.session.scalars(sa.select(Area).order_by(Area.position))
    ]
    areas.sort(key=lambda item: -(item[2].share or 0))
    questions = [
        (
            question.id,
            question.short_label,
            _suppress(
                _sum(hits, question=question.id),
                _sum(totals, question=question.id),
                threshold,
                survey_only,
            ),
        )
        for question in db.session.scalars(sa.select(Question).order_by(Question.position))
    ]
    months = sorted({key[0] for key in totals})
    return ThemeSummary(
        row=row,
        areas=areas,
        questions=questions,
        months=[
            (
                label,
                _suppress(
                    _sum(hits, month=label), _sum(totals, month=label), threshold, survey_only
                ),
            )
            for label in months
        ],
    )


def _by_key(query: sa.Select[Any]) -> dict[tuple[str, int | None, str], int]:
    """Run a count grouped by month, area and question; key it by ("2026-03", area, question)."""
    return {
        (str(month), area_id, question_id): int(count)
        for month, area_id, question_id, count in db.session.execute(query)
        if month
    }


def _sum(
    counts: dict[tuple[str, int | None, str], int],
    *,
    month: str | None = None,
    area: int | None = None,
    question: str | None = None,
) -> int:
    """Add up the counts whose month, area and question match those given."""
    return sum(
        count
        for (m, a, q), count in counts.items()
        if (month is None or m == month)
        and (area is None or a == area)
        and (question is None or q == question)
    )
