"""Quotes for the dashboard: redacted, with the words that triggered a code highlighted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from markupsafe import Markup, escape

from analysis.redaction import PLACEHOLDERS, find_pii
from app.dashboard.summaries import Filters, filtered_responses
from app.extensions import db
from app.models import ConversationSession, Response, ResponseCode


@dataclass(frozen=True)
class Quote:
    """A response as shown under a theme."""

    response_id: int
    html: Markup
    score: float
    source: str
    area: str | None
    question_id: str
    session_id: int | None
    held_on: date | None
    reviewed: bool


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlight_redacted(
    text: str, evidence: Sequence[tuple[int, int]], *, redact: bool = True
) -> Markup:
    """Return `text` as HTML: personal data replaced by placeholders, evidence in <mark>.

    Redaction happens on the original text with the evidence offsets, so the
    highlight still falls on the right words; a placeholder inside evidence is
    highlighted too. Everything else is escaped. `redact=False` keeps the text
    whole (for safeguarding staff, who may need the names).
    """
    pii = sorted((span.start, span.end, span.kind) for span in find_pii(text)) if redact else []
    marks = _merge([(max(0, s), min(len(text), e)) for s, e in evidence if e > s])
    boundaries = sorted(
        {
            0,
            len(text),
            *[p for s, e in marks for p in (s, e)],
            *[p for s, e, _k in pii for p in (s, e)],
        }
    )
    parts: list[str] = []
    position = 0
    pii_index = 0
    for boundary in boundaries[1:]:
        if boundary <= position:
            continue
        while pii_index < len(pii) and pii[pii_index][1] <= position:
            pii_index += 1
        in_pii = pii_index < len(pii) and pii[pii_index][0] <= position < pii[pii_index][1]
        highlighted = any(s <= position < e for s, e in marks)
        if in_pii:
            _start, end, kind = pii[pii_index]
            chunk = str(escape(PLACEHOLDERS[kind]))
            position = end
        else:
            chunk = str(escape(text[position:boundary]))
            position = boundary
        parts.append(f"<mark>{chunk}</mark>" if highlighted and chunk else chunk)
    return Markup("".join(parts))  # noqa: S704 (every piece of text above is escaped)


def theme_quotes(theme_id: str, filters: Filters, limit: int = 20) -> list[Quote]:
    """Return the strongest quotes coded with `theme_id` under `filters`."""
    selected = filtered_responses(filters).subquery()
    rows = db.session.execute(
        sa.select(Response, ResponseCode, ConversationSession.held_on)
        .join(selected, selected.c.id == Response.id)
        .join(ResponseCode, ResponseCode.response_id == Response.id)
        .outerjoin(ConversationSession, ConversationSession.id == Response.session_id)
        .where(ResponseCode.theme_id == theme_id, ResponseCode.applied.is_(True))
        .order_by(ResponseCode.score.desc(), Response.id)
        .limit(limit)
    ).all()
    quotes = []
    for response, code, held_on in rows:
        spans = [(int(e["start"]), int(e["end"])) for e in (code.evidence or [])]
        quotes.append(
            Quote(
                response_id=response.id,
                html=highlight_redacted(response.text, spans),
                score=code.score,
                source=response.source,
                area=response.area.name if response.area else None,
                question_id=response.question_id,
                session_id=response.session_id,
                held_on=held_on,
                reviewed=code.source == "human",
            )
        )
    return quotes
