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
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context

import analysis
from analysis import cli as analysis_cli
from analysis.redaction import redact_text, redaction_key
from analysis.safeguarding import DETECTOR_VERSION, SafeguardingResult, detect_safeguarding
from app.codebook.versions import build_codebook, get_version, latest_key
from app.extensions import db
from app.models import (
    CodebookVersion,
    Response,
    ResponseCode,
    SafeguardingFlag,
    Theme,
    utcnow,
)

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


# Built coders by (codebook version, content digest, model). Building one takes
# ~0.3 s, so each process builds a version's coder once; the few most recent
# are kept (the latest, and the one a re-coding job may still be using).
_coders: OrderedDict[tuple[int, str, tuple[str, int]], analysis.Coder] = OrderedDict()
_coders_lock = threading.Lock()
_KEEP_CODERS = 3
# Coders of the shipped codebook (no stored version yet), by model.
_retrained: dict[tuple[str, int], analysis.Coder] = {}


def _model() -> tuple[tuple[str, int], Path | None]:
    """Return the model to code with and a key that changes when the file does.

    The model retrained from reviews (ANALYSIS_MODEL_PATH) once it exists,
    noticed by its modification time; the shipped model until then.
    """
    path = Path(current_app.config["ANALYSIS_MODEL_PATH"])
    try:
        return (str(path), path.stat().st_mtime_ns), path
    except OSError:
        shipped = analysis.DEFAULT_MODEL
        return ("shipped", 0), (shipped if shipped.exists() else None)


def _latest_key() -> tuple[int, str] | None:
    # One small query, at most once per request: a version saved by another
    # worker is used from the next request on.
    if has_request_context():
        if "codebook_latest" not in g:
            g.codebook_latest = latest_key()
        return g.codebook_latest  # type: ignore[no-any-return]
    return latest_key()


def forget_latest_version() -> None:
    """Make this request look up the latest codebook version again (after saving one)."""
    if has_request_context():
        g.pop("codebook_latest", None)


def _cached_coder(version: int, digest: str) -> analysis.Coder:
    model_key, model_path = _model()
    key = (version, digest, model_key)
    coder = _coders.get(key)
    if coder is not None:
        return coder
    with _coders_lock:
        coder = _coders.get(key)
        if coder is None:
            row = get_version(version)
            if row is None or row.digest != digest:
                raise LookupError(f"codebook version {version} is not stored")
            coder = analysis.build_coder(build_codebook(row.content), model_path)
            _coders[key] = coder
            while len(_coders) > _KEEP_CODERS:
                _coders.popitem(last=False)
        else:
            _coders.move_to_end(key)
    return coder


def coder_for_version(version: int) -> analysis.Coder:
    """Return the coder of a stored codebook version, with the current learned model."""
    digest = db.session.scalar(
        sa.select(CodebookVersion.digest).where(CodebookVersion.version == version)
    )
    if digest is None:
        raise LookupError(f"codebook version {version} is not stored")
    return _cached_coder(version, digest)


def current_coder() -> analysis.Coder:
    """Return the theme coder: the latest codebook version with the current learned model.

    The codebook is the latest version saved in the codebook editor (version
    1 is the shipped codebook); the model is the one retrained from reviews
    once `flask analysis retrain` (or the coder-quality page) has written it
    to ANALYSIS_MODEL_PATH, the shipped model until then. Each process builds
    a coder once per codebook version and model.
    """
    latest = _latest_key()
    if latest is not None:
        return _cached_coder(*latest)
    # No stored codebook yet (before `flask reference load`): the shipped one.
    model_key, model_path = _model()
    if model_key[0] == "shipped":
        return analysis.load_coder()
    coder = _retrained.get(model_key)
    if coder is None:
        with _coders_lock:
            coder = analysis.load_coder(model=model_path)
            _retrained.clear()
            _retrained[model_key] = coder
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


_STORE_REDACTION = (
    sa.update(Response)
    .where(Response.id == sa.bindparam("rid"), Response.text == sa.bindparam("src"))
    .values(redacted_text=sa.bindparam("rtext"), redaction_key=sa.bindparam("rkey"))
)


def _evidence(text: str, spans: Iterable[tuple[int, int]]) -> list[dict[str, Any]]:
    return [{"start": start, "end": end, "text": text[start:end]} for start, end in spans]


@dataclass(frozen=True)
class Coded:
    """What the coder and the safeguarding detector found in one response (nothing stored)."""

    item: ResponseText
    themes: tuple[analysis.ThemeCode, ...]
    flag: SafeguardingResult
    # The text with personal details replaced, and the key it is valid for.
    redacted_text: str
    redaction_key: str


def compute_codes(items: Sequence[ResponseText], coder: analysis.Coder) -> list[Coded]:
    """Code and redact `items` without touching the database (kept out of transactions)."""
    return [
        Coded(
            item,
            coder.code(item.text, item.question_id).themes,
            detect_safeguarding(item.text),
            redact_text(item.text),
            redaction_key(item.text),
        )
        for item in items
    ]


def code_responses(
    items: Sequence[ResponseText], *, new: bool = False, coder: analysis.Coder | None = None
) -> CodingSummary:
    """Code `items` and store their codes and flags in the caller's transaction.

    Earlier automatic codes of these responses are replaced; codes a person set
    stay, and block an automatic code for the same theme. Codes of a retired
    theme stay as they were (the coder no longer codes it). A flag a person has
    already actioned is kept as it is. With `new`, the responses were created
    in this transaction and have nothing to replace, so those look-ups are
    skipped. `coder` defaults to the current coder.
    """
    if not items:
        return CodingSummary()
    if coder is None:
        coder = current_coder()
    return store_codes(compute_codes(items, coder), coder.version, new=new)


def _code_rows(
    entry: Coded, response_id: int, coder_version: str, now: datetime
) -> list[dict[str, Any]]:
    """The automatic codes of one coded response, as rows of `response_codes`."""
    text = entry.item.text
    return [
        {
            "response_id": response_id,
            "theme_id": theme_code.theme,
            "applied": True,
            "score": round(float(theme_code.score), 4),
            "evidence": _evidence(text, theme_code.evidence),
            "source": "auto",
            "coder_version": coder_version,
            "created_at": now,
        }
        for theme_code in entry.themes
    ]


def _flag_rows(entry: Coded, response_id: int, now: datetime) -> list[dict[str, Any]]:
    """The safeguarding flag of one coded response (if it has one), as rows."""
    flag = entry.flag
    if not flag.flagged:
        return []
    return [
        {
            "response_id": response_id,
            "categories": [reason.category for reason in flag.reasons],
            "evidence": [
                {"category": reason.category, **span}
                for reason in flag.reasons
                for span in _evidence(entry.item.text, reason.spans)
            ],
            "score": round(float(flag.score), 4),
            "detector_version": DETECTOR_VERSION,
            "created_at": now,
        }
    ]


# Prebuilt on plain tables: a survey submission stores its coded responses on
# the request path, where the ORM's bookkeeping would cost more than the SQL.
_ACTIVE_THEMES = sa.select(Theme.__table__.c.id).where(Theme.__table__.c.retired_at.is_(None))
_INSERT_RESPONSES = sa.insert(Response.__table__).returning(
    Response.__table__.c.id, sort_by_parameter_order=True
)
_INSERT_CODES = sa.insert(ResponseCode.__table__)
_INSERT_FLAGS = sa.insert(SafeguardingFlag.__table__)


def store_codes(coded: Sequence[Coded], coder_version: str, *, new: bool = False) -> CodingSummary:
    """Store what `compute_codes` found, in the caller's transaction (see `code_responses`)."""
    summary = CodingSummary()
    if not coded:
        return summary
    ids = [c.item.id for c in coded]
    known_themes = set(db.session.scalars(_ACTIVE_THEMES))
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
                ResponseCode.response_id.in_(ids),
                ResponseCode.source == "auto",
                ResponseCode.theme_id.in_(known_themes or {""}),
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
    for entry in coded:
        item = entry.item
        if item.id not in reviewed:
            code_rows.extend(
                row
                for row in _code_rows(entry, item.id, coder_version, now)
                if row["theme_id"] in known_themes and (item.id, row["theme_id"]) not in decided
            )
        if item.id not in actioned:
            flag_rows.extend(_flag_rows(entry, item.id, now))
    if code_rows:
        db.session.execute(sa.insert(ResponseCode), code_rows)
    if flag_rows:
        db.session.execute(sa.insert(SafeguardingFlag), flag_rows)
    db.session.execute(
        sa.update(Response)
        .where(Response.id.in_(ids))
        .values(coder_version=coder_version, coded_at=now)
        .execution_options(synchronize_session=False)
    )
    # Only where the text is still the one redacted: a response edited since
    # keeps no stale redaction (its key would not match anyway).
    db.session.connection().execute(
        _STORE_REDACTION,
        [
            {
                "rid": c.item.id,
                "rtext": c.redacted_text,
                "rkey": c.redaction_key,
                "src": c.item.text,
            }
            for c in coded
        ],
    )
    summary.responses, summary.codes, summary.flagged = len(ids), len(code_rows), len(flag_rows)
    return summary


def code_saved(responses: Iterable[Response], *, new: bool = False) -> CodingSummary:
    """Code ORM responses that have just been flushed (so they have ids)."""
    return code_responses(
        [ResponseText(r.id, r.text, r.question_id) for r in responses if r.id is not None],
        new=new,
    )


@dataclass(frozen=True)
class CodedInAdvance:
    """Texts coded before the transaction that stores them (see `code_in_advance`)."""

    coder_version: str
    coded: tuple[Coded, ...]

    def covers(self, items: Sequence[ResponseText], coder: analysis.Coder) -> bool:
        """Whether these codes are the ones `coder` would give `items` now."""
        return self.coder_version == coder.version and [
            (entry.item.text, entry.item.question_id) for entry in self.coded
        ] == [(item.text, item.question_id) for item in items]


def code_in_advance(items: Sequence[ResponseText]) -> CodedInAdvance:
    """Code, redact and flag `items` now, for `insert_coded_responses` to store later.

    Coding takes most of a submission's time and needs no database lock: done
    first, it keeps out of the write transaction that stores the submission.
    That transaction looks up the latest codebook version again, so a version
    saved in between is not missed: the texts are then coded again with it.
    """
    coder = current_coder()
    coded = CodedInAdvance(coder.version, tuple(compute_codes(items, coder)))
    forget_latest_version()
    return coded


def insert_coded_responses(
    rows: Sequence[dict[str, Any]], *, in_advance: CodedInAdvance | None = None
) -> list[int]:
    """Insert new responses already coded, redacted and flagged; return their ids in order.

    Each row holds the `responses` columns (source, question_id, text, and the
    session or submission it belongs to). The rows are coded before they are
    inserted, so each response is written once, with its coder version and
    redaction, followed by its codes and flags: three statements in the
    caller's transaction whatever the number of responses. Codes worked out
    `in_advance` are used if they are for these texts and the current coder.
    """
    if not rows:
        return []
    coder = current_coder()
    items = [ResponseText(0, row["text"], row.get("question_id")) for row in rows]
    if in_advance is not None and in_advance.covers(items, coder):
        coded = list(in_advance.coded)
    else:
        coded = compute_codes(items, coder)
    now = utcnow()
    connection = db.session.connection()
    ids = list(
        connection.execute(
            _INSERT_RESPONSES,
            [
                {
                    "position": 0,
                    **row,
                    "created_at": now,
                    "updated_at": now,
                    "coder_version": coder.version,
                    "coded_at": now,
                    "redacted_text": entry.redacted_text,
                    "redaction_key": entry.redaction_key,
                }
                for row, entry in zip(rows, coded, strict=True)
            ],
        ).scalars()
    )
    known_themes = set(connection.execute(_ACTIVE_THEMES).scalars())
    code_rows = [
        code
        for response_id, entry in zip(ids, coded, strict=True)
        for code in _code_rows(entry, response_id, coder.version, now)
        if code["theme_id"] in known_themes
    ]
    flag_rows = [
        flag
        for response_id, entry in zip(ids, coded, strict=True)
        for flag in _flag_rows(entry, response_id, now)
    ]
    if code_rows:
        connection.execute(_INSERT_CODES, code_rows)
    if flag_rows:
        connection.execute(_INSERT_FLAGS, flag_rows)
    return ids


def responses_to_recode(
    everything: bool = False, coder_version: str | None = None
) -> sa.Select[int]:
    """Return a query for the ids of responses coded by another coder (or all of them).

    `coder_version` defaults to the current coder's.
    """
    query = sa.select(Response.id).order_by(Response.id)
    if not everything:
        version = coder_version or current_coder().version
        query = query.where(
            sa.or_(Response.coder_version.is_(None), Response.coder_version != version)
        )
    return query


def recode(
    everything: bool = False, progress: Callable[[int], None] | None = None
) -> CodingSummary:
    """Re-code responses with the latest codebook now, batch by batch, committing each.

    The same job and code path as the background re-coding after a codebook
    change (`app.codebook.recoding`), run in this thread. Codes set by a
    person are never touched. Safe to stop and run again.
    """
    from app.codebook import recoding

    job = recoding.start_job_here(everything=everything)
    return recoding.run_job(job.id, job.runner or "", progress=progress, pause=0.0)
