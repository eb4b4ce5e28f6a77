"""Reviewing the coder's work: people confirm, remove or add themes, one response at a time.

A person's decision becomes the response's codes (source "human") and is
never overwritten by re-coding. Each decision keeps the score the coder had
given (or None), so agreement between the coder and people can be measured.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa

from analysis.evaluate import cohen_kappa
from app import audit
from app.extensions import db
from app.models import ConversationSession, Response, ResponseCode, Theme, User, utcnow


@dataclass(frozen=True)
class ReviewChanges:
    """What a review did to a response's themes."""

    confirmed: int
    removed: int
    added: int


@dataclass(frozen=True)
class ThemeAgreement:
    """How the coder's codes for one theme compare with people's, on reviewed responses."""

    theme_id: str
    label: str
    reviewed: int
    true_positive: int
    false_positive: int
    false_negative: int
    precision: float | None
    recall: float | None
    kappa: float | None


def _live() -> sa.ColumnElement[bool]:
    return sa.or_(Response.session_id.is_(None), ConversationSession.deleted_at.is_(None))


def next_for_review(after_id: int | None = None) -> Response | None:
    """Return the unreviewed response the coder is least sure about.

    Confidence is the highest score among its automatic codes (0 with none).
    """
    confidence = (
        sa.select(sa.func.max(ResponseCode.score))
        .where(ResponseCode.response_id == Response.id, ResponseCode.applied.is_(True))
        .scalar_subquery()
    )
    query = (
        sa.select(Response)
        .outerjoin(ConversationSession, ConversationSession.id == Response.session_id)
        .where(Response.reviewed_at.is_(None), _live())
        .order_by(sa.func.coalesce(confidence, 0.0), Response.id)
    )
    if after_id is not None:
        query = query.where(Response.id != after_id)
    return db.session.scalars(query.limit(1)).first()


def waiting_count() -> int:
    """Return how many responses no one has reviewed yet."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count(Response.id))
            .outerjoin(ConversationSession, ConversationSession.id == Response.session_id)
            .where(Response.reviewed_at.is_(None), _live())
        )
        or 0
    )


def record_review(response: Response, applied: Collection[str], reviewer: User) -> ReviewChanges:
    """Make `applied` the response's themes, as `reviewer`'s decision (audited)."""
    known = set(db.session.scalars(sa.select(Theme.id).where(Theme.retired_at.is_(None))))
    unknown = set(applied) - known
    if unknown:
        raise ValueError(f"unknown themes: {', '.join(sorted(unknown))}")
    existing = {code.theme_id: code for code in response.codes}
    confirmed = removed = added = 0
    for theme_id in sorted(known | set(existing)):
        code = existing.get(theme_id)
        wanted = theme_id in applied
        if code is None:
            if wanted:
                response.codes.append(
                    ResponseCode(
                        theme_id=theme_id,
                        applied=True,
                        score=1.0,
                        source="human",
                        coder_score=None,
                        decided_by=reviewer,
                    )
                )
                added += 1
            continue
        coder_score = code.score if code.source == "auto" and code.applied else code.coder_score
        if wanted and code.applied:
            confirmed += 1
        elif wanted:
            added += 1
        elif code.applied:
            removed += 1
        code.applied = wanted
        code.source = "human"
        code.coder_score = coder_score
        code.decided_by = reviewer
    response.reviewed_at = utcnow()
    response.reviewed_by_id = reviewer.id
    audit.record(
        "response_reviewed",
        actor=reviewer,
        target=response,
        details={"confirmed": confirmed, "removed": removed, "added": added},
    )
    return ReviewChanges(confirmed, removed, added)


def agreement() -> tuple[int, list[ThemeAgreement]]:
    """Per-theme precision, recall and Cohen's kappa of the coder against people.

    Only reviewed responses count. The coder "said yes" to a theme when it had
    coded it (its score is kept on the person's decision).
    """
    reviewed = int(
        db.session.scalar(
            sa.select(sa.func.count(Response.id)).where(Response.reviewed_at.is_not(None))
        )
        or 0
    )
    rows = db.session.execute(
        sa.select(ResponseCode.theme_id, ResponseCode.applied, ResponseCode.coder_score)
        .join(Response, Response.id == ResponseCode.response_id)
        .where(Response.reviewed_at.is_not(None), ResponseCode.source == "human")
    ).all()
    counts: dict[str, list[int]] = {}
    for theme_id, applied, coder_score in rows:
        tp_fp_fn = counts.setdefault(theme_id, [0, 0, 0])
        coder_yes = coder_score is not None
        if coder_yes and applied:
            tp_fp_fn[0] += 1
        elif coder_yes:
            tp_fp_fn[1] += 1
        elif applied:
            tp_fp_fn[2] += 1
    result = []
    for theme in db.session.scalars(sa.select(Theme).order_by(Theme.position)):
        tp, fp, fn = counts.get(theme.id, [0, 0, 0])
        tn = reviewed - tp - fp - fn
        result.append(
            ThemeAgreement(
                theme_id=theme.id,
                label=theme.label,
                reviewed=reviewed,
                true_positive=tp,
                false_positive=fp,
                false_negative=fn,
                precision=tp / (tp + fp) if tp + fp else None,
                recall=tp / (tp + fn) if tp + fn else None,
                kappa=cohen_kappa(tp, fp, fn, tn) if reviewed else None,
            )
        )
    return reviewed, result
