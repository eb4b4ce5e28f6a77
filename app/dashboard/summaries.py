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


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def filtered_responses(filters: Filters) -> sa.Select[int]:
    """Return a query for the ids of the responses the filters select."""
    query = (
        sa.select(Response.id)
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
        query = query.where(
            sa.exists().where(
                ResponseCode.response_id == Response.id, ResponseCode.source == "human"
            )
        )
    return query


def _suppress(count: int, total: int, threshold: int, small: bool) -> Count:
    return Count(count, total, suppressed=small and count < threshold)


def overview(filters: Filters, threshold: int = 5) -> Overview:
    """Compute the overview for `filters`; survey cells under `threshold` are suppressed."""
    selected = filtered_responses(filters).subquery()
    base = sa.select(Response).join(selected, selected.c.id == Response.id).subquery()
    totals = db.session.execute(
        sa.select(
            sa.func.count(base.c.id),
            sa.func.count(sa.distinct(base.c.session_id)),
            sa.func.count(sa.distinct(base.c.submission_id)),
        )
    ).one()
    total_responses, total_sessions, total_respondents = (int(v or 0) for v in totals)
    total_participants = int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ConversationSession.participants), 0)).where(
                ConversationSession.id.in_(sa.select(base.c.session_id))
            )
        )
        or 0
    )
    survey_only = filters.survey_only()
    coded = (
        sa.select(
            ResponseCode.theme_id,
            base.c.id,
            base.c.session_id,
            base.c.submission_id,
            base.c.area_id,
            base.c.question_id,
        )
        .join(base, base.c.id == ResponseCode.response_id)
        .where(ResponseCode.applied.is_(True))
        .subquery()
    )
    per_theme = {
        theme_id: (int(r or 0), int(s or 0), int(p or 0))
        for theme_id, r, s, p in db.session.execute(
            sa.select(
                coded.c.theme_id,
                sa.func.count(sa.distinct(coded.c.id)),
                sa.func.count(sa.distinct(coded.c.session_id)),
                sa.func.count(sa.distinct(coded.c.submission_id)),
            ).group_by(coded.c.theme_id)
        )
    }
    themes = list(
        db.session.scalars(
            sa.select(Theme).where(Theme.retired_at.is_(None)).order_by(Theme.position)
        )
    )
    rows = []
    for theme in themes:
        r, s, p = per_theme.get(theme.id, (0, 0, 0))
        rows.append(
            ThemeRow(
                theme.id,
                theme.label,
                _suppress(r, total_responses, threshold, survey_only),
                Count(s, total_sessions),
                _suppress(p, total_respondents, threshold, True),
            )
        )
    rows.sort(
        key=lambda row: (-(row.responses.count if not row.responses.suppressed else 0), row.label)
    )

    concepts = []
    for concept in db.session.scalars(sa.select(Concept).order_by(Concept.position)):
        theme_ids = [t.id for t in concept.themes if t.retired_at is None]
        count = int(
            db.session.scalar(
                sa.select(sa.func.count(sa.distinct(coded.c.id))).where(
                    coded.c.theme_id.in_(theme_ids or ["-"])
                )
            )
            or 0
        )
        concepts.append(
            (concept.id, concept.label, _suppress(count, total_responses, threshold, survey_only))
        )

    areas = [(a.id, a.name) for a in db.session.scalars(sa.select(Area).order_by(Area.position))]
    questions = [
        (q.id, q.short_label)
        for q in db.session.scalars(sa.select(Question).order_by(Question.position))
    ]
    theme_ids = [theme.id for theme in themes]
    area_matrix = _matrix(
        base.c.area_id,
        coded.c.area_id,
        base,
        coded,
        theme_ids,
        [a for a, _ in areas],
        threshold,
        survey_only,
    )
    question_matrix = _matrix(
        base.c.question_id,
        coded.c.question_id,
        base,
        coded,
        theme_ids,
        [q for q, _ in questions],
        threshold,
        survey_only,
    )

    return Overview(
        total_responses=total_responses,
        total_sessions=total_sessions,
        total_participants=total_participants,
        total_respondents=_suppress(total_respondents, total_respondents, threshold, True),
        themes=rows,
        concepts=concepts,
        areas=areas,
        area_matrix=area_matrix,
        questions=questions,
        question_matrix=question_matrix,
    )


def _matrix(
    base_column: sa.ColumnElement[Any],
    coded_column: sa.ColumnElement[Any],
    base: sa.Subquery,
    coded: sa.Subquery,
    theme_ids: list[str],
    keys: list[Any],
    threshold: int,
    survey_only: bool,
) -> dict[tuple[str, Any], Count]:
    """Share of each column's responses (an area's, a question's) coded with each theme."""
    totals = {
        key: int(count)
        for key, count in db.session.execute(
            sa.select(base_column, sa.func.count(base.c.id)).group_by(base_column)
        )
    }
    counts = {
        (theme_id, key): int(count)
        for theme_id, key, count in db.session.execute(
            sa.select(
                coded.c.theme_id, coded_column, sa.func.count(sa.distinct(coded.c.id))
            ).group_by(coded.c.theme_id, coded_column)
        )
    }
    return {
        (theme_id, key): _suppress(
            counts.get((theme_id, key), 0), totals.get(key, 0), threshold, survey_only
        )
        for theme_id in theme_ids
        for key in keys
    }


def responses_by_month(filters: Filters) -> list[tuple[str, int]]:
    """Responses per month under `filters`, in order (by the response's own timestamp).

    Only the overview shows it, so it is not part of `overview`, which the
    theme pages also call.
    """
    selected = filtered_responses(filters).subquery()
    counts: dict[str, int] = {}
    for (created_at,) in db.session.execute(
        sa.select(Response.created_at).join(selected, selected.c.id == Response.id)
    ):
        key = created_at.strftime("%Y-%m")
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items())
