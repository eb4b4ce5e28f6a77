"""Importing session notes through the page and the command line: all rows or none."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import openpyxl
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, ConversationSession, Response
from tests.conftest import StaffMember, csrf_token

HEADER = "session_ref,area,held_on,venue,audience,participants,facilitator,question,text\n"
VALID = HEADER + (
    "BEL-1,Belgrave,14/03/2026,Library,residents,12,Asha,what_where,Fights by the shops\n"
    'BEL-1,Belgrave,14/03/2026,Library,residents,12,Asha,why,"Scared, so they carry"\n'
    'BEL-1,Belgrave,14/03/2026,Library,residents,12,Asha,help,=HYPERLINK("http://x")\n'
    "BEL-2,Highfields,2026-03-20,Mosque hall,parents_families,20,Asha,impact,Parents worry\n"
)
INVALID = HEADER + (
    "BEL-1,Belgrave,14/03/2026,Library,residents,12,Asha,what_where,Fine row\n"
    "BEL-3,Atlantis,14/03/2026,Library,residents,12,Asha,why,Unknown area\n"
    "BEL-4,Belgrave,31/02/2026,Library,residents,lots,Asha,sometimes,\n"
)


def _upload(client: FlaskClient, body: bytes, filename: str) -> object:
    token = csrf_token(client.get("/sessions/import").get_data(as_text=True))
    return client.post(
        "/sessions/import",
        data={"csrf_token": token, "file": (io.BytesIO(body), filename)},
        content_type="multipart/form-data",
    )


def _counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        sessions = db.session.scalar(sa.select(sa.func.count(ConversationSession.id))) or 0
        responses = db.session.scalar(sa.select(sa.func.count(Response.id))) or 0
        db.session.remove()
    return sessions, responses


def test_valid_csv_is_imported_and_audited(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave", "Highfields"))
    response = _upload(client, VALID.encode(), "notes.csv")
    assert response.status_code == 302  # type: ignore[attr-defined]
    page = client.get("/sessions/").get_data(as_text=True)
    assert "Imported 2 sessions with 4 points." in page
    assert _counts(app) == (2, 4)
    with app.app_context():
        formula = db.session.scalar(sa.select(Response.text).where(Response.question_id == "help"))
        assert formula == '=HYPERLINK("http://x")'
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "sessions_imported")
        )
        assert event is not None
        assert event.details == {"filename": "notes.csv", "sessions": 2, "responses": 4}
        db.session.remove()


def test_invalid_rows_are_all_reported_and_nothing_is_saved(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    response = _upload(client, INVALID.encode(), "notes.csv")
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    soup = BeautifulSoup(html, "html.parser")
    rows = [
        tuple(cell.get_text(strip=True) for cell in row.select("td"))
        for row in soup.select("#import-problems + .app-table-container table tbody tr")
    ]
    columns = {(row[0], row[1]) for row in rows}
    assert ("3", "area") in columns
    assert {("4", "held_on"), ("4", "participants"), ("4", "question"), ("4", "text")} <= columns
    assert "Nothing has been saved" in html
    assert soup.select_one(".govuk-error-summary") is not None
    assert _counts(app) == (0, 0)


def test_a_lead_cannot_import_into_another_area(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("lead", ("Belgrave",))
    response = _upload(client, VALID.encode(), "notes.csv")
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "you can only import sessions for your areas" in html.lower()
    assert _counts(app) == (0, 0)


def test_importing_the_same_file_twice_saves_it_once(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    assert _upload(client, VALID.encode(), "notes.csv").status_code == 302  # type: ignore[attr-defined]
    again = _upload(client, VALID.encode(), "notes.csv")
    assert "has already been imported" in again.get_data(as_text=True)  # type: ignore[attr-defined]
    assert _counts(app) == (2, 4)


def test_xlsx_import(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for line in VALID.strip().splitlines():
        import csv

        sheet.append(next(csv.reader([line])))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = _upload(client, buffer.getvalue(), "notes.xlsx")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert _counts(app) == (2, 4)


def test_broken_files_get_a_clear_message(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    cases = {
        "notes.csv": "\xff\xfe not utf8 \x00".encode("latin-1"),
        "notes.xlsx": b"this is not a spreadsheet",
        "empty.csv": b"",
    }
    for filename, body in cases.items():
        response = _upload(client, body, filename)
        html = response.get_data(as_text=True)  # type: ignore[attr-defined]
        assert response.status_code == 200, filename  # type: ignore[attr-defined]
        soup = BeautifulSoup(html, "html.parser")
        message = soup.select_one(".govuk-error-message")
        assert message is not None and len(message.get_text(strip=True)) > 20, filename
    assert _counts(app) == (0, 0)


def test_oversized_upload_is_refused_before_reading(
    app: Flask, client: FlaskClient, signed_in: Callable[..., StaffMember]
) -> None:
    signed_in("admin")
    body = HEADER.encode() + b"x" * (13 * 1024 * 1024)
    response = _upload(client, body, "big.csv")
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert "too large" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Traceback" not in response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_templates_download(client: FlaskClient, signed_in: Callable[..., StaffMember]) -> None:
    signed_in("lead", ("Belgrave",))
    csv_template = client.get("/sessions/import/template.csv")
    assert csv_template.status_code == 200
    assert csv_template.mimetype == "text/csv"
    first_line = csv_template.get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    assert first_line == HEADER.strip()
    xlsx = client.get("/sessions/import/template.xlsx")
    assert xlsx.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert [
        c.value for c in next(workbook.worksheets[0].iter_rows(max_row=1))
    ] == HEADER.strip().split(",")
    assert client.get("/sessions/import/template.pdf").status_code == 404


def test_cli_import(app: Flask, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(VALID, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(INVALID, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sessions", "import", str(bad)])
    assert result.exit_code == 1
    assert "row 3, area:" in result.output
    assert _counts(app) == (0, 0)
    result = runner.invoke(args=["sessions", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 sessions with 4 points." in result.output
    assert _counts(app) == (2, 4)
