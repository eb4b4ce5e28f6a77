"""Downloads of responses with their codes, as CSV or XLSX, for the current filters.

Leads may export only their own areas' session notes. Every export is
audited: who, when, which filters, how many rows.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Response as FlaskResponse
from flask import abort, after_this_request, current_app, send_file, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import audit
from app.auth.permissions import ALL_STAFF, readable_area_ids, staff_required
from app.dashboard import bp
from app.dashboard.summaries import filtered_columns, overview
from app.dashboard.summary_tables import summary_csv, write_summary_xlsx
from app.dashboard.views import filters_from_request
from app.exports import response_rows, responses_csv_chunks, write_responses_xlsx
from app.extensions import db
from app.models import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _selection() -> tuple[sa.Select[Any], dict[str, Any]]:
    """The responses this person may export under the current filters."""
    _form, filters = filters_from_request()
    query = filtered_columns(filters, Response.id)
    allowed = readable_area_ids(current_user)
    if allowed is not None:
        # A lead: their areas' session notes only, never survey answers.
        query = query.where(Response.source == "session", Response.area_id.in_(allowed or {-1}))
    described = {key: str(value) for key, value in asdict(filters).items() if value}
    return query, described


def _audit(file_format: str, filters: dict[str, Any], rows: int) -> None:
    audit.record(
        "responses_exported",
        details={"format": file_format, "filters": filters, "rows": rows, "redacted": True},
    )
    db.session.commit()


@bp.get("/export/responses.<file_format>")
@staff_required(*ALL_STAFF)
def export_responses(file_format: str) -> ResponseReturnValue:
    """Every response the filters select, with its themes, redacted and formula-safe."""
    if file_format not in ("csv", "xlsx"):
        abort(404)
    query, described = _selection()
    rows = response_rows(redact=True, selection=query)
    filename = f"community-voice-responses.{file_format}"
    if file_format == "csv":
        counter = [0]

        def stream() -> Any:
            yield "\ufeff"  # so Excel reads the file as UTF-8
            yield from responses_csv_chunks(rows, counter)
            _audit("csv", described, counter[0])

        return FlaskResponse(
            stream_with_context(stream()),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={filename}"},
        )
    folder = tempfile.mkdtemp(prefix="cv-export-")
    path = Path(folder) / filename
    count = write_responses_xlsx(path, rows)
    _audit("xlsx", described, count)

    @after_this_request
    def _remove(response: FlaskResponse) -> FlaskResponse:
        path.unlink(missing_ok=True)
        Path(folder).rmdir()
        return response

    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=filename)


@bp.get("/export/summary.<file_format>")
@staff_required("strategy", "admin")
def export_summary(file_format: str) -> ResponseReturnValue:
    """The overview's summary tables for the current filters, as CSV (long) or XLSX."""
    if file_format not in ("csv", "xlsx"):
        abort(404)
    _form, filters = filters_from_request()
    summary = overview(filters, current_app.config["SMALL_NUMBER_THRESHOLD"])
    described = {key: str(value) for key, value in asdict(filters).items() if value}
    filename = f"community-voice-summary.{file_format}"
    if file_format == "csv":
        text = "\ufeff" + summary_csv(summary)
        audit.record(
            "summary_exported",
            details={"format": "csv", "filters": described, "rows": text.count("\r\n") - 1},
        )
        db.session.commit()
        return FlaskResponse(
            text,
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={filename}"},
        )
    folder = tempfile.mkdtemp(prefix="cv-export-")
    path = Path(folder) / filename
    count = write_summary_xlsx(path, summary, described)
    audit.record(
        "summary_exported", details={"format": "xlsx", "filters": described, "rows": count}
    )
    db.session.commit()

    @after_this_request
    def _remove(response: FlaskResponse) -> FlaskResponse:
        path.unlink(missing_ok=True)
        Path(folder).rmdir()
        return response

    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=filename)
