"""Coding responses into themes as they are saved, and re-coding them later.

The analysis package does the coding; this module stores its results: one
automatic `ResponseCode` per theme found, with its score and evidence, and a
`SafeguardingFlag` for a response that may disclose a current risk. A code a
person set (source "human") is never replaced, and an automatic code is never
added for a theme a person has already decided on.
"""

from __future__ import annotations

import csv
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

import analysis
from analysis import cli as analysis_cli
from analysis.safeguarding import DETECTOR_VERSION, detect_safeguarding
from app.extensions import db
from app.models import Response, ResponseCode, SafeguardingFlag, Theme, utcnow

RECODE_CHUNK = 500
ANALYSIS_DATA = Path(analysis.__file__).resolve().parent / "data"


@dataclass(frozen=True)
class ResponseText:
    """What the coder needs to know about a response."""

    id: int
    text: str
    question_id: str | None


@dataclass
class CodingSummary:
    """What a coding run did."""

    responses: int = 0
    codes: int = 0
    flagged: int = 0


# Coders built from a retrained model, by (path, modification time).
_retrained: dict[tuple[str, int], analysis.Coder] = {}
_retrained_lock = threading.Lock()


def current_coder() -> analysis.Coder:
    """Return the theme coder: with the model retrained from reviews, if there is one.

    The shipped model is used until `flask analysis retrain` (or the button on
    the coder-quality page) writes one to ANALYSIS_MODEL_PATH. Each process
    notices a new file by its modification time and builds its coder once.
    """
    path = Path(current_app.config["ANALYSIS_MODEL_PATH"])
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return analysis.load_coder()
    coder = _retrained.get(key)
    if coder is None:
        with _retrained_lock:
            coder = _retrained.get(key)
            if coder is None:
                coder = analysis.load_coder(model=path)
                _retrained.clear()
                _retrained[key] = coder
    return coder


@dataclass(frozen=True)
class Retrained:
    """What a retraining used and produced."""

    reviewed_rows: int
    coder_version: str


def retrain_from_reviews() -> Retrained:
    """Train the learned layer on the shipped labelled data plus every reviewed response.

    Writes the model to ANALYSIS_MODEL_PATH (atomically), so the next coding
    uses it; existing codes change only when responses are re-coded.
    """
    rows = db.session.execute(
        sa.select(Response.id, Response.text)
        .where(Response.reviewed_at.is_not(None))
        .order_by(Response.id)
    ).all()
    themes: dict[int, list[str]] = {}
    for response_id, theme_id in db.session.execute(
        sa.select(ResponseCode.response_id, ResponseCode.theme_id).where(
            ResponseCode.response_id.in_([row.id for row in rows] or [-1]),
            ResponseCode.applied.is_(True),
            ResponseCode.source == "human",
        )
    ):
        themes.setdefault(response_id, []).append(theme_id)
    target = Path(current_app.config["ANALYSIS_MODEL_PATH"])
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        reviewed_csv = Path(folder) / "reviewed.csv"
        with reviewed_csv.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            # Same columns as the shipped labelled files (the trainer reads one layout).
            writer.writerow(["text", "themes"])
            for row in rows:
                writer.writerow([row.text, ";".join(sorted(themes.get(row.id, [])))])
        partial = target.with_name(target.name + ".partial")
        status = analysis_cli.main(
            [
                "train",
                "--quiet",
                "--gold", str(ANALYSIS_DATA / "gold_dev.csv"),
                "--gold", str(ANALYSIS_DATA / "examples.csv"),
                "--gold", str(reviewed_csv),
                "--output", str(partial),
            ]
        )  # fmt: skip
        if status != 0:
            raise RuntimeError(f"training failed with status {status}")
        partial.replace(target)
    return Retrained(len(rows), current_coder().version)


def _evidence(text: str, spans: Iterable[tuple[int, int]]) -> list[dict[str, Any]]:
    return [{"start": start, "end": end, "text": text[start:end]} for start, end in spans]


def code_responses(items: Sequence[ResponseText], *, new: bool = False) -> CodingSummary:
    """Code `items` and store their codes and flags in the caller's transaction.

    Earlier automatic codes of these responses are replaced; codes a person set
    stay, and block an automatic code for the same theme. A flag a person has
    already actioned is kept as it is. With `new`, the responses were created
    in this transaction and have nothing to replace, so those look-ups are skipped.
    """
    summary = CodingSummary()
    if not items:
        return summary
    coder = current_coder()
    ids = [item.id for item in items]
    known_themes = set(db.session.scalars(sa.select(Theme.id).where(Theme.retired_at.is_(None))))
    decided: set[tuple[int, str]] = set()
    actioned: set[int] = set()
    reviewed: set[int] = set()
    if not new:
        # A reviewed response's themes were all decided by a person: the coder
        # adds nothing to it, not even a theme the person left unticked.
        reviewed = set(
            db.session.scalars(
                sa.select(Response.id).where(
                    Response.id.in_(ids), Response.reviewed_at.is_not(None)
                )
            )
        )
        decided = {
            (response_id, theme_id)
            for response_id, theme_id in db.session.execute(
                sa.select(ResponseCode.response_id, ResponseCode.theme_id).where(
                    ResponseCode.response_id.in_(ids), ResponseCode.source == "human"
                )
            )
        }
        actioned = set(
            db.session.scalars(
                sa.select(SafeguardingFlag.response_id).where(
                    SafeguardingFlag.response_id.in_(ids),
                    SafeguardingFlag.actioned_at.is_not(None),
                )
            )
        )
        db.session.execute(
            sa.delete(ResponseCode).where(
                ResponseCode.response_id.in_(ids), ResponseCode.source == "auto"
            )
        )
        db.session.execute(
            sa.delete(SafeguardingFlag).where(
                SafeguardingFlag.response_id.in_(ids), SafeguardingFlag.actioned_at.is_(None)
            )
        )
    now = utcnow()
    code_rows: list[dict[str, Any]] = []
    flag_rows: list[dict[str, Any]] = []
    for item in items:
        result = coder.code(item.text, item.question_id)
        for theme_code in result.themes:
            if (
                item.id in reviewed
                or theme_code.theme not in known_themes
                or (item.id, theme_code.theme) in decided
            ):
                continue
            code_rows.append(
                {
                    "response_id": item.id,
                    "theme_id": theme_code.theme,
                    "applied": True,
                    "score": round(float(theme_code.score), 4),
                    "evidence": _evidence(item.text, theme_code.evidence),
                    "source": "auto",
                    "coder_version": coder.version,
                    "created_at": now,
                }
            )
        flag = detect_safeguarding(item.text)
        if flag.flagged and item.id not in actioned:
            flag_rows.append(
                {
                    "response_id": item.id,
                    "categories": [reason.category for reason in flag.reasons],
                    "evidence": [
                        {"category": reason.category, **span}
                        for reason in flag.reasons
                        for span in _evidence(item.text, reason.spans)
                    ],
                    "score": round(float(flag.score), 4),
                    "detector_version": DETECTOR_VERSION,
                    "created_at": now,
                }
            )
    if code_rows:
        db.session.execute(sa.insert(ResponseCode), code_rows)
    if flag_rows:
        db.session.execute(sa.insert(SafeguardingFlag), flag_rows)
    db.session.execute(
        sa.update(Response)
        .where(Response.id.in_(ids))
        .values(coder_version=coder.version, coded_at=now)
        .execution_options(synchronize_session=False)
    )
    summary.responses, summary.codes, summary.flagged = len(items), len(code_rows), len(flag_rows)
    return summary


def code_saved(responses: Iterable[Response], *, new: bool = False) -> CodingSummary:
    """Code ORM responses that have just been flushed (so they have ids)."""
    return code_responses(
        [ResponseText(r.id, r.text, r.question_id) for r in responses if r.id is not None],
        new=new,
    )


def responses_to_recode(everything: bool = False) -> sa.Select[int]:
    """Return a query for the ids of responses coded by another coder (or all of them)."""
    query = sa.select(Response.id).order_by(Response.id)
    if not everything:
        query = query.where(
            sa.or_(
                Response.coder_version.is_(None),
                Response.coder_version != current_coder().version,
            )
        )
    return query


def recode(
    everything: bool = False, progress: Callable[[int], None] | None = None
) -> CodingSummary:
    """Re-code responses in chunks, committing each, and report progress per chunk.

    Codes set by a person are never touched. Safe to stop and run again: each
    chunk is committed with its responses' new coder version.
    """
    total = CodingSummary()
    last_id = 0
    base = responses_to_recode(everything)
    while True:
        chunk_ids = list(db.session.scalars(base.where(Response.id > last_id).limit(RECODE_CHUNK)))
        if not chunk_ids:
            break
        rows = db.session.execute(
            sa.select(Response.id, Response.text, Response.question_id)
            .where(Response.id.in_(chunk_ids))
            .order_by(Response.id)
        ).all()
        done = code_responses([ResponseText(*row) for row in rows])
        db.session.commit()
        total.responses += done.responses
        total.codes += done.codes
        total.flagged += done.flagged
        last_id = chunk_ids[-1]
        if progress is not None:
            progress(len(chunk_ids))
    return total
