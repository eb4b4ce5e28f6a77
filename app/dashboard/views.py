"""Dashboard pages: the overview and a page per theme."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from app.auth.permissions import staff_required
from app.dashboard import bp
from app.dashboard.forms import DashboardFilterForm
from app.dashboard.quotes import theme_quotes
from app.dashboard.summaries import Filters, overview
from app.extensions import db
from app.models import Area, Question, Theme


def _age_bands() -> list[tuple[str, str]]:
    from app.survey import services as survey_services

    try:
        defn = survey_services.definition(current_app.config["DEFAULT_SURVEY"])
    except survey_services.SurveyNotFound:
        return []
    return [(o.value, o.label) for o in defn.question(defn.age_question).options]


def _filters() -> tuple[DashboardFilterForm, Filters]:
    form = DashboardFilterForm(request.args)
    areas = db.session.scalars(sa.select(Area).order_by(Area.position))
    form.area.choices = [("", "All areas"), *((str(a.id), a.name) for a in areas)]
    questions = db.session.scalars(sa.select(Question).order_by(Question.position))
    form.question.choices = [("", "All questions"), *((q.id, q.short_label) for q in questions)]
    form.age_band.choices = [("", "Any"), *_age_bands()]
    if not form.validate():
        return form, Filters()
    return form, Filters(
        area_id=int(form.area.data) if form.area.data else None,
        question_id=form.question.data or None,
        source=form.source.data or None,
        audience=form.audience.data or None,
        age_band=form.age_band.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        reviewed_only=bool(form.reviewed_only.data),
    )


def _query_args() -> dict[str, Any]:
    return {key: value for key, value in request.args.items() if value}


@bp.get("/")
@staff_required("strategy", "admin")
def overview_page() -> ResponseReturnValue:
    """Totals, themes ranked, the five concepts, themes by area and by question."""
    form, filters = _filters()
    summary = overview(filters, current_app.config["SMALL_NUMBER_THRESHOLD"])
    return render_template(
        "dashboard/overview.html",
        title="What the community told us",
        filter_form=form,
        summary=summary,
        query_args=_query_args(),
    )


@bp.get("/themes/<theme_id>")
@staff_required("strategy", "admin")
def theme_page(theme_id: str) -> ResponseReturnValue:
    """A theme: its definition and concepts, where it is strongest, and quotes."""
    theme = db.session.get(Theme, theme_id)
    if theme is None:
        abort(404)
    form, filters = _filters()
    summary = overview(filters, current_app.config["SMALL_NUMBER_THRESHOLD"])
    row = next((r for r in summary.themes if r.theme_id == theme_id), None)
    if row is None:
        abort(404)
    areas = sorted(
        ((name, summary.area_matrix[(theme_id, area_id)]) for area_id, name in summary.areas),
        key=lambda item: -(item[1].share or 0),
    )
    questions = [
        (label, summary.question_matrix[(theme_id, question_id)])
        for question_id, label in summary.questions
    ]
    return render_template(
        "dashboard/theme.html",
        title=theme.label,
        theme=theme,
        row=row,
        areas=areas,
        questions=questions,
        quotes=theme_quotes(theme_id, filters),
        filter_form=form,
        query_args=_query_args(),
    )
