"""Downloads of the overview's summary tables: same figures, small numbers hidden, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import openpyxl
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, Theme
from tests.app.dashboard.test_dashboard_overview import hand_counted  # noqa: F401
from tests.conftest import StaffMember


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _find(rows: list[dict[str, str]], table: str, row: str, column: str) -> dict[str, str]:
    matches = [r for r in rows if (r["table"], r["row"], r["column"]) == (table, row, column)]
    assert len(matches) == 1, (table, row, column)
    return matches[0]


def test_summary_csv_matches_the_hand_counts(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    hand_counted: None,  # noqa: F811
) -> None:
    signed_in("strategy")
    response = client.get("/dashboard/export/summary.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response.data)
    assert _find(rows, "Totals", "Responses", "")["count"] == "8"
    assert _find(rows, "Totals", "People taking part in sessions", "")["count"] == "30"
    respondents = _find(rows, "Totals", "Survey respondents", "")
    assert (respondents["count"], respondents["note"]) == ("", "fewer than 5")
    fear = _find(rows, "Themes", "Fear and feeling unsafe", "Share of responses")
    assert (fear["count"], fear["total"], fear["percent"], fear["unit"]) == (
        "4",
        "8",
        "50.0",
        "responses",
    )
    fear_people = _find(rows, "Themes", "Fear and feeling unsafe", "Share of survey respondents")
    assert (fear_people["count"], fear_people["total"], fear_people["percent"]) == ("", "", "")
    assert fear_people["note"] == "fewer than 5"
    belgrave = _find(rows, "Themes by area", "Fear and feeling unsafe", "Belgrave")
    assert (belgrave["count"], belgrave["total"], belgrave["unit"]) == (
        "4",
        "6",
        "the area's responses",
    )
    safety = _find(
        rows,
        "Core concepts",
        "Preventing crime and ensuring people feel safe and protected",
        "Share of responses",
    )
    assert (safety["count"], safety["percent"]) == ("4", "50.0")
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "summary_exported")
        ).one()
        assert event.details["format"] == "csv"
        assert event.details["rows"] == len(rows)


def test_summary_csv_follows_filters_and_neutralises_formulas(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    hand_counted: None,  # noqa: F811
) -> None:
    with app.app_context():
        theme = db.session.get(Theme, "fear")
        assert theme is not None
        theme.label = '=HYPERLINK("http://evil")'
        db.session.commit()
    signed_in("admin")
    rows = _rows(client.get("/dashboard/export/summary.csv?source=survey").data)
    assert _find(rows, "Totals", "Responses", "")["count"] == "3"
    cell = _find(rows, "Themes", '\'=HYPERLINK("http://evil")', "Share of responses")
    # Survey-only figures: 2 respondents is under the threshold.
    assert (cell["count"], cell["note"]) == ("", "fewer than 5")


def test_summary_xlsx_has_a_sheet_per_table(
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    hand_counted: None,  # noqa: F811
) -> None:
    signed_in("strategy")
    response = client.get("/dashboard/export/summary.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == [
        "About",
        "Totals",
        "Themes",
        "Core concepts",
        "Themes by area",
        "Themes by question",
    ]
    themes = {row[0]: row[1:] for row in workbook["Themes"].iter_rows(min_row=2, values_only=True)}
    assert themes["Fear and feeling unsafe"] == (0.5, 4, 0.5, 1, "fewer than 5", "fewer than 5")
    areas = list(workbook["Themes by area"].iter_rows(values_only=True))
    belgrave = areas[0].index("Belgrave")
    fear = next(row for row in areas if row[0] == "Fear and feeling unsafe")
    assert fear[belgrave] == round(4 / 6, 4)


def test_leads_cannot_download_summaries(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead")
    assert client.get("/dashboard/export/summary.csv").status_code == 403
    assert client.get("/dashboard/export/summary.xlsx").status_code == 403


def test_unknown_summary_format_is_not_found(
    client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("strategy")
    assert client.get("/dashboard/export/summary.pdf").status_code == 404
