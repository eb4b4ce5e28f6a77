"""The API's JSON documents, built from the dashboard's own services.

Counts come from `app.dashboard.summaries` (so the API and the dashboard
never disagree) and text from `analysis.redaction` (so a quote leaves the
API redacted exactly as it leaves in an export). A suppressed figure is
written as `"count": null, "share": null, "suppressed": true`: the real
number never appears. Safeguarding flags are never included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from analysis.redaction import PLACEHOLDERS, redact
from app.api.params import Page
from app.dashboard.summaries import (
    Count,
    Filters,
    Overview,
    ThemeRow,
    filtered_responses,
    responses_by_month,
)
from app.extensions import db
from app.models import Area, ConversationSession, Response, ResponseCode, Theme


def count(figure: Count) -> dict[str, Any]:
    """A count and its share, or nulls and `suppressed` for a small number.

    The denominator is left out on purpose: for a suppressed cell it would
    be a small number itself.
    """
    if figure.suppressed:
        return {"count": None, "share": None, "suppressed": True}
    return {
        "count": figure.count,
        "share": round(figure.count / figure.total, 4) if figure.total else None,
        "suppressed": False,
    }


def _theme_counts(row: ThemeRow) -> dict[str, Any]:
    return {
        "responses": count(row.responses),
        "sessions": count(row.sessions),
        "respondents": count(row.respondents),
    }


def totals(summary: Overview) -> dict[str, Any]:
    """The overview's totals."""
    return {
        "responses": summary.total_responses,
        "sessions": summary.total_sessions,
        "participants": summary.total_participants,
        "respondents": count(summary.total_respondents),
    }


def _small_counts(summary: Overview, filters: Filters, threshold: int) -> list[dict[str, Any]]:
    # Per month the unit is responses; with survey-only filters they are
    # suppressed below the threshold, like the theme counts.
    months = []
    for month, number in responses_by_month(filters):
        suppressed = filters.survey_only() and number < threshold
        months.append(
            {
                "month": month,
                "responses": count(Count(number, summary.total_responses, suppressed)),
            }
        )
    return months


def summary_document(
    summary: Overview, filters: Filters, threshold: int, applied: dict[str, Any]
) -> dict[str, Any]:
    """The whole of GET /summary."""
    theme_ids = [row.theme_id for row in summary.themes]
    return {
        "filters": applied,
        "small_number_threshold": threshold,
        "totals": totals(summary),
        "themes": [
            {"id": row.theme_id, "label": row.label, **_theme_counts(row)} for row in summary.themes
        ],
        "concepts": [
            {"id": concept_id, "label": label, "responses": count(figure)}
            for concept_id, label, figure in summary.concepts
        ],
        "areas": [
            {
                "id": area_id,
                "name": name,
                "themes": [
                    {"theme_id": t, "responses": count(summary.area_matrix[(t, area_id)])}
                    for t in theme_ids
                ],
            }
            for area_id, name in summary.areas
        ],
        "questions": [
            {
                "id": question_id,
                "label": label,
                "themes": [
                    {"theme_id": t, "responses": count(summary.question_matrix[(t, question_id)])}
                    for t in theme_ids
                ],
            }
            for question_id, label in summary.questions
        ],
        "months": _small_counts(summary, filters, threshold),
    }


def theme_document(theme: Theme, row: ThemeRow) -> dict[str, Any]:
    """A theme for GET /themes: what it means, its concepts and its counts."""
    return {
        "id": theme.id,
        "label": theme.label,
        "group": theme.group,
        "definition": theme.definition,
        "codebook_version": theme.codebook_version,
        "concepts": [{"id": c.id, "label": c.label} for c in theme.concepts],
        "counts": _theme_counts(row),
    }


def theme_detail_document(theme: Theme, row: ThemeRow, summary: Overview) -> dict[str, Any]:
    """A theme for GET /themes/{id}: also its share of each area's and question's responses."""
    return {
        **theme_document(theme, row),
        "areas": [
            {
                "id": area_id,
                "name": name,
                "responses": count(summary.area_matrix[(theme.id, area_id)]),
            }
            for area_id, name in summary.areas
        ],
        "questions": [
            {
                "id": question_id,
                "label": label,
                "responses": count(summary.question_matrix[(theme.id, question_id)]),
            }
            for question_id, label in summary.questions
        ],
    }


# --- responses --------------------------------------------------------------


def _position_map(text: str) -> tuple[str, Any]:
    """Redact `text`; return it and a function taking original offsets to redacted ones."""
    result = redact(text)
    spans = result.spans
    # (original start, original end, redacted start, redacted end) per placeholder
    placed = []
    shift = 0
    for span in spans:
        new_start = span.start + shift
        new_end = new_start + len(PLACEHOLDERS[span.kind])
        placed.append((span.start, span.end, new_start, new_end))
        shift = new_end - span.end

    def moved(offset: int, *, end: bool) -> int:
        delta = 0
        for start, stop, new_start, new_stop in placed:
            if end and start < offset <= stop:
                return new_stop  # an end inside a placeholder takes all of it
            if not end and start <= offset < stop:
                return new_start  # so does a start
            if stop <= offset:
                delta = new_stop - stop
        return offset + delta

    return result.text, moved


def evidence_spans(
    text: str, evidence_lists: Sequence[Sequence[dict[str, Any]]]
) -> tuple[str, list[list[dict[str, Any]]]]:
    """Return `text` redacted and each list of evidence moved onto it.

    Offsets and words refer to the redacted text: a span that touches
    personal data covers the whole placeholder, so the words it quotes are
    never the original ones.
    """
    redacted, moved = _position_map(text)
    moved_lists = []
    for evidence in evidence_lists:
        spans = []
        for item in evidence:
            try:
                start, end = int(item["start"]), int(item["end"])
            except (KeyError, TypeError, ValueError):
                continue
            start, end = max(0, start), min(len(text), end)
            if end <= start:
                continue
            new_start, new_end = moved(start, end=False), moved(end, end=True)
            spans.append({"start": new_start, "end": new_end, "text": redacted[new_start:new_end]})
        moved_lists.append(spans)
    return redacted, moved_lists


def responses_query(filters: Filters, theme_id: str | None) -> sa.Select[int]:
    """The ids of the responses the filters (and theme, if given) select."""
    query = filtered_responses(filters)
    if theme_id is not None:
        query = query.where(
            sa.exists().where(
                ResponseCode.response_id == Response.id,
                ResponseCode.theme_id == theme_id,
                ResponseCode.applied.is_(True),
            )
        )
    return query


def response_documents(ids: Sequence[int]) -> list[dict[str, Any]]:
    """The responses with these ids, in id order, with their applied codes and redacted text."""
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(Response, Area.name, ConversationSession.held_on, ConversationSession.audience)
        .outerjoin(Area, Area.id == Response.area_id)
        .outerjoin(ConversationSession, ConversationSession.id == Response.session_id)
        .where(Response.id.in_(ids))
        .order_by(Response.id)
    ).all()
    codes: dict[int, list[tuple[ResponseCode, str]]] = {}
    for code, label in db.session.execute(
        sa.select(ResponseCode, Theme.label)
        .join(Theme, Theme.id == ResponseCode.theme_id)
        .where(ResponseCode.response_id.in_(ids), ResponseCode.applied.is_(True))
        .order_by(ResponseCode.response_id, ResponseCode.score.desc(), ResponseCode.theme_id)
    ):
        codes.setdefault(code.response_id, []).append((code, label))
    documents = []
    for response, area_name, held_on, audience in rows:
        response_codes = codes.get(response.id, [])
        text, evidence_by_code = evidence_spans(
            response.text, [code.evidence or [] for code, _label in response_codes]
        )
        documents.append(
            {
                "id": response.id,
                "source": response.source,
                "area": {"id": response.area_id, "name": area_name}
                if response.area_id is not None
                else None,
                "question": response.question_id,
                "audience": audience,
                "held_on": held_on.isoformat() if held_on else None,
                "created_at": response.created_at.isoformat(timespec="seconds"),
                "reviewed": any(code.source == "human" for code, _ in response_codes),
                "text": text,
                "codes": [
                    {
                        "theme_id": code.theme_id,
                        "theme_label": label,
                        "score": round(float(code.score), 4),
                        "source": code.source,
                        "evidence": spans,
                    }
                    for (code, label), spans in zip(response_codes, evidence_by_code, strict=True)
                ],
            }
        )
    return documents


def response_page(filters: Filters, page: Page) -> tuple[list[dict[str, Any]], int, int | None]:
    """One page of responses after `page.after`, the total matching, and the next cursor."""
    selected = responses_query(filters, page.theme_id)
    total = int(db.session.scalar(sa.select(sa.func.count()).select_from(selected.subquery())) or 0)
    ids = list(
        db.session.scalars(
            selected.where(Response.id > page.after).order_by(Response.id).limit(page.limit + 1)
        )
    )
    next_after = ids[page.limit - 1] if len(ids) > page.limit else None
    return response_documents(ids[: page.limit]), total, next_after


def one_response(response_id: int) -> dict[str, Any] | None:
    """The response with this id, or None (also for a deleted session's points)."""
    found = db.session.scalar(filtered_responses(Filters()).where(Response.id == response_id))
    if found is None:
        return None
    return response_documents([found])[0]
