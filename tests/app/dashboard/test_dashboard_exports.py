"""Downloads from the dashboard: filtered, redacted, formula-safe, audited, leads limited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import openpyxl
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Area, AuditEvent
from tests.conftest import StaffMember

POINTS = {"why": ["=SUM(A1:A9) is what Jamal wrote, call 07700 900123", "They are scared"]}


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _area_id(app: Flask, name: str) -> int:
    with app.app_context():
        area_id = db.session.scalar(sa.select(Area.id).where(Area.name == name))
        db.session.remove()
    assert area_id is not None
    return area_id


def test_csv_follows_the_filters_and_is_safe(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(area="Belgrave", points=POINTS)
    make_session(area="Braunstone", points={"help": ["Youth clubs"]})
    signed_in("strategy")
    everything = client.get("/dashboard/export/responses.csv")
    assert everything.mimetype == "text/csv"
    assert len(_rows(everything.data)) == 3
    belgrave = client.get(f"/dashboard/export/responses.csv?area={_area_id(app, 'Belgrave')}")
    rows = _rows(belgrave.data)
    assert [r["area"] for r in rows] == ["Belgrave", "Belgrave"]
    assert rows[0]["text"].startswith("'=SUM(A1:A9)")
    assert "07700 900123" not in rows[0]["text"] and "[phone]" in rows[0]["text"]
    assert "Jamal" not in rows[0]["text"]
    with app.app_context():
        events = list(
            db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "responses_exported")
                .order_by(AuditEvent.id)
            )
        )
        db.session.remove()
    assert [e.details["rows"] for e in events] == [3, 2]
    assert events[1].details["filters"] == {"area_id": str(_area_id(app, "Belgrave"))}


def test_xlsx_cells_are_text_not_formulas(
    client: FlaskClient, signed_in: Callable[..., StaffMember], make_session: Callable[..., int]
) -> None:
    make_session(points=POINTS)
    signed_in("admin")
    response = client.get("/dashboard/export/responses.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook["Responses"]
    header = [cell.value for cell in sheet[1]]
    assert header == ["id", "source", "area", "question", "text", "created_at", "themes"]
    first = sheet.cell(row=2, column=5)
    assert first.data_type == "s"
    assert str(first.value).startswith("'=SUM")
    assert sheet.max_row == 3


def test_xlsx_survives_control_characters_in_a_response(
    client: FlaskClient, signed_in: Callable[..., StaffMember], make_session: Callable[..., int]
) -> None:
    make_session(points={"why": ["Bell\x07 and form feed\x0c and escape\x1b here"]})
    signed_in("strategy")
    response = client.get("/dashboard/export/responses.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["Responses"]
    assert (
        sheet.cell(row=2, column=5).value == "Bell\ufffd and form feed\ufffd and escape\ufffd here"
    )


def test_leads_export_only_their_own_areas_session_notes(
    app: Flask,
    client: FlaskClient,
    signed_in: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    make_session(area="Belgrave", points={"why": ["Mine"]})
    make_session(area="Braunstone", points={"why": ["Not mine"]})
    signed_in("lead", ("Belgrave",))
    rows = _rows(client.get("/dashboard/export/responses.csv").data)
    assert [r["text"] for r in rows] == ["Mine"]
    forged = _rows(
        client.get(f"/dashboard/export/responses.csv?area={_area_id(app, 'Braunstone')}").data
    )
    assert forged == []
    assert client.get("/dashboard/export/responses.pdf").status_code == 404
