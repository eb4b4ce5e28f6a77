"""The report "What the community told us": a web page to read or print, and a PDF.

Both are built on demand for the overview's filters (the same query
string), from the same template. The PDF download is audited.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response as FlaskResponse
from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from app import audit
from app.auth.permissions import staff_required
from app.dashboard import bp
from app.dashboard.charts import horizontal_bar_chart
from app.dashboard.report import (
    PDF_STYLESHEET_PATH,
    Report,
    build_report,
    describe_filters,
    render_pdf,
)
from app.dashboard.summaries import Filters
from app.dashboard.views import filters_from_request
from app.extensions import db

TITLE = "What the community told us"


def _report() -> tuple[Any, Filters, Report]:
    form, filters = filters_from_request()
    described = describe_filters(form, filters)
    threshold = current_app.config["SMALL_NUMBER_THRESHOLD"]
    return form, filters, build_report(filters, described, threshold)


def _concepts_chart(report: Report) -> Markup:
    return horizontal_bar_chart(
        chart_id="report-concepts-chart",
        title="The five core concepts, by share of responses",
        description=(
            "How many responses carry a theme that feeds each core concept, as a share of "
            "all responses. The table below gives the same figures."
        ),
        bars=[(label, count.share, count.label) for _id, label, count in report.concepts],
    )


def _render(report: Report, *, pdf: bool, form: Any = None) -> str:
    return render_template(
        "dashboard/report.html",
        title=TITLE,
        report=report,
        concepts_chart=_concepts_chart(report) if report.concepts else None,
        filter_form=form,
        query_args={key: value for key, value in request.args.items() if value},
        pdf=pdf,
        pdf_stylesheet=PDF_STYLESHEET_PATH,
    )


@bp.get("/report")
@staff_required("strategy", "admin")
def report_page() -> ResponseReturnValue:
    """The report as a web page, with print styles."""
    form, _filters, report = _report()
    return _render(report, pdf=False, form=form)


@bp.get("/report.pdf")
@staff_required("strategy", "admin")
def report_pdf() -> ResponseReturnValue:
    """The report as a tagged PDF, for the same filters; the download is audited."""
    _form, filters, report = _report()
    pdf = render_pdf(_render(report, pdf=True), base_url=request.url_root)
    audit.record(
        "report_downloaded",
        details={
            "format": "pdf",
            "filters": {key: str(value) for key, value in asdict(filters).items() if value},
            "responses": report.overview.total_responses,
            "redacted": True,
        },
    )
    db.session.commit()
    filename = f"what-the-community-told-us-{report.generated_date}.pdf"
    return FlaskResponse(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
