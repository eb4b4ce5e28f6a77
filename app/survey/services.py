"""Keeping a respondent's answers between pages, and turning them into a submission.

Answers live on the server in a draft named by a random token in the
respondent's cookie, so nothing typed is lost between pages and nothing is
saved as a submission until the respondent submits. Submitting is idempotent:
the draft is locked, and a draft already submitted returns its submission.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from app.coding import CodedInAdvance, ResponseText, code_in_advance, insert_coded_responses
from app.database import (
    DirectStatement,
    draft_engine,
    run_direct,
    session_in_transaction,
    sqlite_reads,
)
from app.extensions import db
from app.models import (
    Area,
    Survey,
    SurveyContact,
    SurveyDraft,
    SurveySubmission,
    token_digest,
    utcnow,
)
from surveys import (
    Question,
    SurveyDefinition,
    SurveyDefinitionError,
    load_definitions,
    missing_required,
    prune_answers,
    split_answers,
)

# Page ids the survey's own pages use in URLs; a definition cannot take them.
RESERVED_PAGE_IDS = {"check-your-answers", "confirmation", "privacy", "start"}
# Letters and digits that cannot be confused when read out or copied (no 0/O, 1/I/L).
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class SurveyNotFound(LookupError):
    """No survey with that id."""


class IncompleteSurvey(ValueError):
    """A required question has no answer; `missing` names the first page to visit."""

    def __init__(self, page_id: str) -> None:
        super().__init__(page_id)
        self.page_id = page_id


def init_app(app: Flask) -> None:
    """Load and check every survey definition at start-up; a broken one stops the app."""
    directory = app.config.get("SURVEY_DEFINITIONS_DIR")
    definitions = load_definitions(Path(directory)) if directory else load_definitions()
    for definition in definitions.values():
        for page in definition.pages:
            if page.id in RESERVED_PAGE_IDS:
                raise SurveyDefinitionError(
                    definition.source_file, f"pages[{page.id}].id", "is reserved by the survey"
                )
    app.extensions["survey_definitions"] = definitions


def definitions() -> dict[str, SurveyDefinition]:
    """Return the loaded survey definitions by id."""
    return current_app.extensions["survey_definitions"]  # type: ignore[no-any-return]


def definition(survey_id: str) -> SurveyDefinition:
    """Return the definition of `survey_id` or raise SurveyNotFound."""
    try:
        return definitions()[survey_id]
    except KeyError:
        raise SurveyNotFound(survey_id) from None


def survey_row(survey_id: str) -> Survey:
    """Return the database row of a defined survey, creating it on first use."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        defn = definition(survey_id)
        survey = Survey(id=defn.id, title=defn.title)
        db.session.add(survey)
        db.session.flush()
    return survey


# Whether each survey is open, as last read, and until when (monotonic seconds).
_open_states: dict[str, tuple[float, bool]] = {}


def survey_is_open(survey_id: str) -> bool:
    """Return whether the survey takes answers, read at most every few seconds.

    Every survey page checks this; reading the row each time would be a
    quarter of a page's database work. An administrator's change reaches
    every worker within SURVEY_OPEN_STATE_SECONDS (a couple of seconds).
    """
    now = time.monotonic()
    cached = _open_states.get(survey_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    is_open = survey_row(survey_id).is_open()
    _open_states[survey_id] = (now + current_app.config["SURVEY_OPEN_STATE_SECONDS"], is_open)
    return is_open


def forget_open_states() -> None:
    """Drop the remembered open states (after an administrator changes a survey)."""
    _open_states.clear()


def sync_surveys() -> int:
    """Make sure every defined survey has its row (titles follow the definition)."""
    for defn in definitions().values():
        survey_row(defn.id).title = defn.title
    return len(definitions())


@dataclass
class Draft:
    """A respondent's draft as a page needs it: read and written with plain SQL.

    Every survey page reads the draft and most write it; the ORM's identity
    map and change tracking would cost more than the query itself.
    """

    id: int
    survey_id: str
    answers: dict[str, Any]
    submitted_at: datetime | None
    # A page of it tripped the honeypot: it will be thanked but not saved.
    suspected_bot: bool = False


# Compiled once and run straight on a pooled DBAPI connection (see
# app.database.DirectStatement): these run on every survey page, and going
# through the ORM or even a Core Connection costs more than the query.
_DRAFTS = SurveyDraft.__table__
_FIND_DRAFT = DirectStatement(
    sa.select(
        _DRAFTS.c.id,
        _DRAFTS.c.survey_id,
        _DRAFTS.c.answers,
        _DRAFTS.c.submitted_at,
        _DRAFTS.c.suspected_bot,
    ).where(_DRAFTS.c.token_hash == sa.bindparam("wanted_hash"))
)
_START_DRAFT = DirectStatement(
    sa.insert(_DRAFTS)
    .values(
        {
            column: sa.bindparam(column)
            for column in (
                "token_hash",
                "survey_id",
                "answers",
                "suspected_bot",
                "created_at",
                "updated_at",
            )
        }
    )
    .returning(_DRAFTS.c.id)
)
_SAVE_ANSWERS = DirectStatement(
    sa.update(_DRAFTS)
    .where(_DRAFTS.c.id == sa.bindparam("draft_id"), _DRAFTS.c.submitted_at.is_(None))
    .values(
        answers=sa.bindparam("new_answers"),
        updated_at=sa.bindparam("now"),
        # Once a page of this draft tripped the honeypot, it stays suspect.
        suspected_bot=sa.or_(_DRAFTS.c.suspected_bot, sa.bindparam("bot", type_=sa.Boolean)),
    )
)


def _execute(statement: sa.Executable, parameters: Any = None) -> sa.CursorResult[Any]:
    """Run a Core statement in the session's transaction, without the ORM layer."""
    return db.session.connection().execute(statement, parameters)


def _execute_on_draft(
    statement: DirectStatement, parameters: Mapping[str, Any], *, writes: bool
) -> list[tuple[Any, ...]]:
    """Run a one-statement draft read or write in a transaction of its own; return its rows.

    A survey page reads the draft, checks the answers and saves them: two
    statements, neither of which needs the other's transaction (a draft is
    one person's, and the last save wins). On PostgreSQL each runs
    autocommitted without waiting for the disk flush (see
    app.database.create_draft_engine). On SQLite each is committed at once,
    so the write lock is held for the save alone rather than for the whole
    page. Inside a transaction the request already began, it joins it: on
    another connection it could wait for a lock that transaction holds.
    """
    if session_in_transaction():
        result = _execute(statement.statement, parameters)
        return [tuple(row) for row in result.all()] if result.returns_rows else []
    return run_direct(draft_engine() or db.engine, statement, parameters, writes=writes)


def find_draft(survey_id: str, token: str | None) -> Draft | None:
    """Return the draft named by `token` for this survey, if any (submitted or not)."""
    if not token:
        return None
    rows = _execute_on_draft(_FIND_DRAFT, {"wanted_hash": token_digest(token)}, writes=False)
    if not rows:
        return None
    draft_id, draft_survey, answers, submitted_at, suspected_bot = rows[0]
    if draft_survey != survey_id:
        return None
    return Draft(draft_id, draft_survey, dict(answers or {}), submitted_at, bool(suspected_bot))


def start_draft(survey_id: str) -> tuple[Draft, str]:
    """Create an empty draft and return it with the token for the respondent's cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    [(draft_id,)] = _execute_on_draft(
        _START_DRAFT,
        {
            "token_hash": token_digest(token),
            "survey_id": survey_id,
            "answers": {},
            "suspected_bot": False,
            "created_at": now,
            "updated_at": now,
        },
        writes=True,
    )
    return Draft(draft_id, survey_id, {}, None), token


def save_answers(draft: Draft, answers: Mapping[str, Any], *, bot: bool = False) -> None:
    """Replace the draft's answers (already pruned by the caller)."""
    _execute_on_draft(
        _SAVE_ANSWERS,
        {"draft_id": draft.id, "new_answers": dict(answers), "now": utcnow(), "bot": bot},
        writes=True,
    )
    draft.answers = dict(answers)


_SUBMISSIONS = SurveySubmission.__table__
_REFERENCE_TAKEN = sa.select(_SUBMISSIONS.c.id).where(
    _SUBMISSIONS.c.reference == sa.bindparam("reference")
)
_AREA_NAMED = sa.select(Area.__table__.c.id).where(Area.__table__.c.name == sa.bindparam("name"))
_LOCK_DRAFT = (
    sa.select(_DRAFTS.c.answers, _DRAFTS.c.submitted_at, _DRAFTS.c.suspected_bot)
    .where(_DRAFTS.c.id == sa.bindparam("draft_id"))
    .with_for_update()
)
_MARK_SUBMITTED = (
    sa.update(_DRAFTS)
    .where(_DRAFTS.c.id == sa.bindparam("draft_id"))
    .values(submitted_at=sa.bindparam("now"), answers={}, updated_at=sa.bindparam("now"))
)
_INSERT_SUBMISSION = sa.insert(_SUBMISSIONS).returning(_SUBMISSIONS.c.id)
_REFERENCE_OF_DRAFT = sa.select(_SUBMISSIONS.c.reference).where(
    _SUBMISSIONS.c.draft_id == sa.bindparam("draft_id")
)


def new_reference() -> str:
    """Return a fresh submission reference like ``CV-4F7K-2M9Q``."""
    while True:
        body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        reference = f"CV-{body[:4]}-{body[4:]}"
        if _execute(_REFERENCE_TAKEN, {"reference": reference}).first() is None:
            return reference


def _area_for(defn: SurveyDefinition, answers: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """Return the area's id (None for another part of the city) and the answer given."""
    value = answers.get(defn.area_question)
    if not isinstance(value, str):
        return None, None
    label = next(
        (o.label for o in defn.question(defn.area_question).options if o.value == value), ""
    )
    area_id = _execute(_AREA_NAMED, {"name": label}).scalar() if label else None
    return area_id, value


def _contact_details(contact: Mapping[str, Any], questions: list[Question]) -> str | None:
    """Return the contact details offered, if the respondent opted in and gave some."""
    texts = [
        str(contact[q.id]).strip()
        for q in questions
        if q.type in ("short_text", "long_text") and contact.get(q.id)
    ]
    opted_in = any(
        contact.get(q.id) for q in questions if q.type in ("single_choice", "multiple_choice")
    )
    return texts[0][:254] if opted_in and texts else None


def _open_answers(
    defn: SurveyDefinition, kept: Mapping[str, Any]
) -> list[tuple[int, Question, str]]:
    """Each open question answered, with its place among the open questions and the text.

    `kept` is pruned, and pruning drops blank text: every text here has words.
    """
    open_questions = [q for q in defn.open_questions() if q.id in kept]
    return [
        (position, question, str(kept[question.id]).strip())
        for position, question in enumerate(open_questions)
    ]


def code_answers_in_advance(
    defn: SurveyDefinition, answers: Mapping[str, Any]
) -> CodedInAdvance | None:
    """Code a draft's open answers before submitting it, on SQLite (None on PostgreSQL).

    A submission on SQLite holds the database's one write lock, which every
    other respondent's page save waits for; coding is most of a submission's
    work and needs no lock. Call it outside a transaction and end the read it
    makes before `submit`. PostgreSQL locks only the draft's row, and coding
    first would cost the submission a transaction of its own.
    """
    if draft_engine() is not None:
        return None
    kept, _contact = split_answers(defn, answers)
    items = [
        ResponseText(0, text, question.feeds)
        for _position, question, text in _open_answers(defn, kept)
    ]
    with sqlite_reads():
        return code_in_advance(items)


def submit(
    defn: SurveyDefinition,
    draft_id: int,
    *,
    save: bool = True,
    in_advance: CodedInAdvance | None = None,
) -> str | None:
    """Turn a draft into a submission, once, in the caller's transaction.

    Returns the submission's reference (the existing one if this draft was
    already submitted), or None when nothing is saved: a preview, or a draft a
    bot filled. Raises IncompleteSurvey if a required answer is missing.
    Codes from `code_answers_in_advance` are used if the answers have not changed since.
    """
    # Lock the draft (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
    # writers) and re-read it: a copy loaded earlier in this request may be stale.
    draft = _execute(_LOCK_DRAFT, {"draft_id": draft_id}).first()
    if draft is None:
        raise IncompleteSurvey(defn.pages[0].id)
    if draft.submitted_at is not None:
        return reference_of(draft_id)
    answers = prune_answers(defn, draft.answers or {})
    missing = missing_required(defn, answers)
    if missing:
        raise IncompleteSurvey(missing[0][0].id)
    now = utcnow()
    # Data minimisation: once submitted, the draft keeps no copy of the answers.
    _execute(_MARK_SUBMITTED, {"draft_id": draft_id, "now": now})
    if not save or draft.suspected_bot:
        return None
    kept, contact = split_answers(defn, answers)
    open_answers = _open_answers(defn, kept)
    open_ids = {question.id for _position, question, _text in open_answers}
    area_id, area_answer = _area_for(defn, kept)
    age_band = kept.get(defn.age_question)
    reference = new_reference()
    submission_id = _execute(
        _INSERT_SUBMISSION,
        {
            "survey_id": defn.id,
            "survey_version": defn.version,
            "reference": reference,
            "draft_id": draft_id,
            "area_id": area_id,
            "area_answer": area_answer,
            "age_band": age_band if isinstance(age_band, str) else None,
            "answers": {key: value for key, value in kept.items() if key not in open_ids},
            "created_at": now,
        },
    ).scalar_one()
    responses = [
        {
            "source": "survey",
            "submission_id": submission_id,
            "session_id": None,
            "question_id": question.feeds,
            "area_id": area_id,
            "position": position,
            "text": text,
        }
        for position, question, text in open_answers
    ]
    insert_coded_responses(responses, in_advance=in_advance)
    details = _contact_details(contact, [q for q in defn.questions() if q.contact])
    if details:
        db.session.add(
            SurveyContact(
                id=uuid.uuid4().hex, survey_id=defn.id, contact=details, created_on=date.today()
            )
        )
    return reference


def reference_of(draft_id: int) -> str | None:
    """Return the reference of the submission a submitted draft became (None: not saved)."""
    reference = _execute(_REFERENCE_OF_DRAFT, {"draft_id": draft_id}).scalar()
    return str(reference) if reference is not None else None


def purge_contacts(older_than_days: int) -> int:
    """Delete follow-up contact details older than `older_than_days`; return how many."""
    cutoff = date.today() - timedelta(days=older_than_days)
    result = db.session.execute(sa.delete(SurveyContact).where(SurveyContact.created_on < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_drafts(older_than_hours: int) -> int:
    """Delete drafts untouched for `older_than_hours` (abandoned or submitted); return how many."""
    cutoff = utcnow() - timedelta(hours=older_than_hours)
    result = db.session.execute(sa.delete(SurveyDraft).where(SurveyDraft.updated_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def response_counts() -> dict[str, int]:
    """Return the number of submissions of each survey."""
    rows = db.session.execute(
        sa.select(SurveySubmission.survey_id, sa.func.count(SurveySubmission.id)).group_by(
            SurveySubmission.survey_id
        )
    )
    return {survey_id: count for survey_id, count in rows}
