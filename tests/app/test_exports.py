"""`flask export responses`: every response, RFC 4180, formula cells neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from app.exports import neutralise
from app.extensions import db
from app.models import AuditEvent, ConversationSession


def test_neutralise_every_formula_prefix() -> None:
    for text in ("=1+1", "+44 7700", "-5", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("plain, with comma") == "plain, with comma"
    assert neutralise(None) == ""


def test_export_to_a_file(app: Flask, make_session: Callable[..., int], tmp_path: Path) -> None:
    make_session(
        area="Braunstone",
        points={
            "why": ['=HYPERLINK("http://evil")', 'Scared, so they carry "for protection"'],
            "help": ["Line one\nline two"],
        },
    )
    deleted = make_session(area="Belgrave", points={"why": ["from a deleted session"]})
    with app.app_context():
        conversation = db.session.get(ConversationSession, deleted)
        assert conversation is not None
        from app.models import utcnow

        conversation.deleted_at = utcnow()
        db.session.commit()
        db.session.remove()
    output = tmp_path / "responses.csv"
    result = app.test_cli_runner().invoke(
        args=["export", "responses", "--format", "csv", "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "Exported 3 responses." in result.output
    raw = output.read_bytes()
    assert b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert [r["text"] for r in rows] == [
        '\'=HYPERLINK("http://evil")',
        'Scared, so they carry "for protection"',
        "Line one\nline two",
    ]
    assert {r["area"] for r in rows} == {"Braunstone"}
    assert {r["source"] for r in rows} == {"session"}
    assert rows[0]["question"] == "why"
    assert "protection" in rows[1]["themes"].split(";")
    assert list(rows[0]) == ["id", "source", "area", "question", "text", "created_at", "themes"]
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "responses_exported")
        )
        assert event is not None and event.details["rows"] == 3
        db.session.remove()
    assert not (tmp_path / "responses.csv.partial").exists()


def test_export_to_standard_output(app: Flask, make_session: Callable[..., int]) -> None:
    make_session()
    result = app.test_cli_runner().invoke(args=["export", "responses"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "id,source,area,question,text,created_at,themes"
    assert len(result.stdout.splitlines()) == 7
    assert "Exported 6 responses." in result.stderr


def test_personal_details_are_redacted_unless_asked_for(
    app: Flask, make_session: Callable[..., int]
) -> None:
    make_session(points={"why": ["Call Jamal on 07700 900123 or jamal@example.org"]})
    redacted = app.test_cli_runner().invoke(args=["export", "responses"]).stdout
    assert "07700 900123" not in redacted and "jamal@example.org" not in redacted
    assert "[phone]" in redacted and "[email]" in redacted
    raw = app.test_cli_runner().invoke(args=["export", "responses", "--no-redact"]).stdout
    assert "07700 900123" in raw and "jamal@example.org" in raw
    with app.app_context():
        flags = [
            e.details["redacted"]
            for e in db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "responses_exported")
                .order_by(AuditEvent.id)
            )
        ]
        db.session.remove()
    assert flags == [True, False]


def test_coding_stores_the_redaction_and_exports_use_it_only_while_valid(
    app: Flask, make_session: Callable[..., int]
) -> None:
    from analysis.redaction import redaction_key
    from app.exports import response_rows
    from app.models import Response

    make_session(points={"why": ["Ask Jamal Hussain on 07700 900123 about it"]})
    with app.app_context():
        response = db.session.scalars(sa.select(Response)).one()
        assert response.redacted_text == "Ask [name] on [phone] about it"
        assert response.redaction_key == redaction_key(response.text)
        # A stored redaction that is still valid is what the export writes.
        response.redacted_text = "stored copy"
        db.session.commit()
        assert [row[4] for row in response_rows(redact=True)] == ["stored copy"]
        # The text changed without re-coding: the stored copy is stale and
        # the export redacts the new text itself, so nothing leaks.
        response.text = "Now call Priya Shah on 07700 900456"
        db.session.commit()
        assert [row[4] for row in response_rows(redact=True)] == ["Now call [name] on [phone]"]
        db.session.remove()
