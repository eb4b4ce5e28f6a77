"""Exports of stored responses, safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return would be read
by Excel or LibreOffice as a formula (CSV injection); such cells get a
leading apostrophe, which spreadsheets show as plain text. Quotes leaving
the service have personal details (names, emails, phone numbers, postcodes,
addresses) replaced with placeholders unless the caller asks for raw text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from analysis.redaction import redact_text, redaction_key
from app.extensions import db
from app.models import Area, ConversationSession, Response, ResponseCode

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RESPONSE_COLUMNS = ("id", "source", "area", "question", "text", "created_at", "themes")
_BATCH = 1000


def neutralise(value: Any) -> str:
    """Return `value` as text that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def response_rows(
    *, redact: bool = True, selection: sa.Select[Any] | None = None
) -> Iterator[list[str]]:
    """Yield live responses as export cells, in id order, a batch at a time.

    Responses of deleted sessions are left out. `selection` (a query over
    Response, such as the dashboard's `filtered_columns`) narrows the export:
    its joins and conditions are kept and its columns replaced, so each batch
    reads the next ids through the primary key rather than re-running a
    subquery. Themes are those applied to the response (by the coder or a
    person), ids joined by ";". With `redact`, personal details in the text
    are replaced with placeholders.
    """
    base = (
        selection
        if selection is not None
        else sa.select(Response.id)
        .select_from(Response)
        .outerjoin(ConversationSession, ConversationSession.id == Response.session_id)
        .where(sa.or_(Response.session_id.is_(None), ConversationSession.deleted_at.is_(None)))
    )
    query = base.with_only_columns(
        Response.id,
        Response.source,
        Area.name,
        Response.question_id,
        Response.text,
        Response.created_at,
        Response.redacted_text,
        Response.redaction_key,
    ).outerjoin(Area, Area.id == Response.area_id)
    last_id = 0
    while True:
        rows = db.session.execute(
            query.where(Response.id > last_id).order_by(Response.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        ids = [row[0] for row in rows]
        themes: dict[int, list[str]] = {}
        for response_id, theme_id in db.session.execute(
            sa.select(ResponseCode.response_id, ResponseCode.theme_id)
            .where(ResponseCode.response_id.in_(ids), ResponseCode.applied.is_(True))
            .order_by(ResponseCode.response_id, ResponseCode.theme_id)
        ):
            themes.setdefault(response_id, []).append(theme_id)
        for response_id, source, area, question, text, created_at, stored, key in rows:
            yield [
                str(response_id),
                source,
                neutralise(area),
                question,
                neutralise(redacted(text, stored, key) if redact else text),
                created_at.isoformat(timespec="seconds"),
                ";".join(themes.get(response_id, [])),
            ]
        last_id = ids[-1]


def redacted(text: str, stored: str | None, stored_key: str | None) -> str:
    """Return `text` redacted: the redaction stored at coding time if still valid, else afresh."""
    if stored is not None and stored_key == redaction_key(text):
        return stored
    return redact_text(text)


def write_responses_csv(stream: IO[str], *, redact: bool = True) -> int:
    """Write every response as RFC 4180 CSV to `stream`; return the number of rows."""
    counter = [0]
    for chunk in responses_csv_chunks(response_rows(redact=redact), counter):
        stream.write(chunk)
    return counter[0]


def responses_csv_chunks(rows: Iterator[list[str]], counter: list[int]) -> Iterator[str]:
    """Yield RFC 4180 CSV text for a header and `rows`, a few hundred rows at a time.

    `counter[0]` holds the number of rows written so far (for the audit row
    written when the stream ends).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(RESPONSE_COLUMNS)
    for row in rows:
        writer.writerow(row)
        counter[0] += 1
        if counter[0] % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_text(value: Any) -> str:
    """Return `value` as text an XLSX cell can hold, and that no spreadsheet runs as a formula.

    XML cannot carry most control characters: openpyxl refuses them, which
    would fail the whole download for one hostile response, so they become
    U+FFFD. Neutralised text never starts with "=", so openpyxl stores it as
    a plain string, never as a formula.
    """
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralise(value))


def write_responses_xlsx(path: Path, rows: Iterator[list[str]]) -> int:
    """Write a header and `rows` to an XLSX file in constant memory; return the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Responses")
    sheet.append(list(RESPONSE_COLUMNS))
    count = 0
    for row in rows:
        sheet.append([xlsx_text(value) for value in row])
        count += 1
    workbook.save(path)
    return count
