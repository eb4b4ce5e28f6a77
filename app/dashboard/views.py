"""Dashboard pages: the overview and a page per theme."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from app.auth.permissions import staff_required
from app.dashboard import bp
from app.dashboard.charts import heatmap, horizontal_bar_chart, line_chart
from app.dashboard.forms import DashboardFilterForm
from app.dashboard.quotes import theme_quotes
from app.dashboard.summaries import Filters, Overview, overview, theme_summary
from app.extensions import db
from app.models import Area, Question, Theme


def _age_bands() -> list[tuple[str, str]]:
    from app.survey import services as survey_services

    try:
        defn = survey_services.definition(current_app.config["DEFAULT_SURVEY"])
    except survey_services.SurveyNotFound:
        return []
    return [(o.value, o.label) for o in defn.question(defn.age_question).options]


def filters_from_request() -> tuple[DashboardFilterForm, Filters]:
    """Read the dashboard filters from the query string (invalid ones are ignored)."""
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


def overview_charts(summary: Overview, months: list[tuple[str, int]]) -> dict[str, Markup]:
    """The overview's charts; each page section also shows the same data as a table."""
    top = summary.themes[:12]
    return {
        "themes": horizontal_bar_chart(
            chart_id="themes-chart",
            title="Themes by share of responses",
            description=(
                "The 12 most mentioned themes, as a share of all responses. "
                "The table below gives every theme."
            ),
            bars=[(row.label, row.responses.share, row.responses.label) for row in top],
        ),
        "areas": heatmap(
            chart_id="areas-chart",
            title="Themes by area",
            description="Share of each area's responses coded with each of the leading themes.",
            row_labels=[row.label for row in top],
            column_labels=[name for _id, name in summary.areas],
            values=[
                [summary.area_matrix[(row.theme_id, area_id)].share for area_id, _ in summary.areas]
                for row in top
            ],
            value_labels=[
                [
                    summary.area_matrix[(row.theme_id, area_id)].percent
                    for area_id, _ in summary.areas
                ]
                for row in top
            ],
        ),
        "months": line_chart(
            chart_id="months-chart",
            title="Responses over time",
            description=(
                "The number of responses each month, dated by the day of the session "
                "or of the survey answer."
            ),
            points=[(month, float(count)) for month, count in months],
            y_label="Responses",
        ),
    }


@bp.get("/")
@staff_required("strategy", "admin")
def overview_page() -> ResponseReturnValue:
    """Totals, themes ranked, the five concepts, themes by area and by question."""
    form, filters = filters_from_request()
    summary = overview(filters, current_app.config["SMALL_NUMBER_THRESHOLD"])
    months = summary.months
    return render_template(
        "dashboard/overview.html",
        months=months,
        title="What the community told us",
        filter_form=form,
        summary=summary,
        charts=overview_charts(summary, months),
        query_args=_query_args(),
    )


@bp.get("/themes/<theme_id>")
@staff_required("strategy", "admin")
def theme_page(theme_id: str) -> ResponseReturnValue:
    """A theme: its definition and concepts, where it is strongest, its trend, and quotes."""
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.retired_at is not None:
        abort(404)
    form, filters = filters_from_request()
    summary = theme_summary(filters, theme, current_app.config["SMALL_NUMBER_THRESHOLD"])
    trend = line_chart(
        chart_id="theme-trend-chart",
        title=f"{theme.label}: share of each month's responses",
        description=(
            "The share of each month's responses coded with this theme. "
            "The table below gives the same figures."
        ),
        points=[
            (month, 100 * count.share) for month, count in summary.months if count.share is not None
        ],
        y_label="% of responses",
    )
    return render_template(
        "dashboard/theme.html",
        title=theme.label,
        theme=theme,
        summary=summary,
        trend_chart=trend,
        quotes=theme_quotes(theme_id, filters),
        filter_form=form,
        query_args=_query_args(),
    )
