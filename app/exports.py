"""Exports of stored responses, safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return would be read
by Excel or LibreOffice as a formula (CSV injection); such cells get a
leading apostrophe, which spreadsheets show as plain text. Quotes leaving
the service have personal details (names, emails, phone numbers, postcodes,
addresses) replaced with placeholders unless the caller asks for raw text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

import sqlalchemy as sa

from analysis.redaction import redact_text
from app.extensions import db
from app.models import Area, ConversationSession, Response, ResponseCode

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
RESPONSE_COLUMNS = ("id", "source", "area", "question", "text", "created_at", "themes")
_BATCH = 1000


def neutralise(value: Any) -> str:
    """Return `value` as text that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def response_rows(*, redact: bool = True) -> Iterator[list[str]]:
    """Yield every live response as export cells, in id order, a batch at a time.

    Responses of deleted sessions are left out. Themes are those applied to
    the response (by the coder or a person), ids joined by ";". With `redact`,
    personal details in the text are replaced with placeholders.
    """
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(
                Response.id,
                Response.source,
                Area.name,
                Response.question_id,
                Response.text,
                Response.created_at,
            )
            .outerjoin(Area, Area.id == Response.area_id)
            .outerjoin(ConversationSession, ConversationSession.id == Response.session_id)
            .where(Response.id > last_id, ConversationSession.deleted_at.is_(None))
            .order_by(Response.id)
            .limit(_BATCH)
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
        for response_id, source, area, question, text, created_at in rows:
            yield [
                str(response_id),
                source,
                neutralise(area),
                question,
                neutralise(redact_text(text) if redact else text),
                created_at.isoformat(timespec="seconds"),
                ";".join(themes.get(response_id, [])),
            ]
        last_id = ids[-1]


def write_responses_csv(stream: IO[str], *, redact: bool = True) -> int:
    """Write every response as RFC 4180 CSV to `stream`; return the number of rows."""
    writer = csv.writer(stream, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(RESPONSE_COLUMNS)
    count = 0
    for row in response_rows(redact=redact):
        writer.writerow(row)
        count += 1
    return count
