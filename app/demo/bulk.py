"""A large synthetic data set for the dashboard's performance benchmarks.

`flask demo bulk --responses 100000` adds sessions and survey submissions
whose responses are the demo sessions' points, reshuffled and spread over
the areas, questions and eighteen months, then codes them all with the real
coder, as saving them in the app would. Never loaded in production.
"""

from __future__ import annotations

import csv
import random
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.coding import ResponseText, code_responses
from app.demo import DEMO_SESSIONS
from app.extensions import db
from app.models import Area, ConversationSession, Response, Survey, SurveySubmission, utcnow
from app.reference import AUDIENCES

# Ten thousand responses are coded and written per transaction: large enough
# for fast inserts, small enough that memory stays flat.
BATCH = 10_000
POINTS_PER_SESSION = 24
ANSWERS_PER_SUBMISSION = 4
# Survey submissions have four open answers, sessions two dozen points: this
# share of parents makes about 30% of the responses survey answers.
SURVEY_SHARE = 0.72
AGE_BANDS = ("under-16", "16-17", "18-24", "25-34", "35-49", "50-64", "65-plus")


def demo_texts() -> dict[str, list[str]]:
    """Return the demo points grouped by question id."""
    texts: dict[str, list[str]] = {}
    with DEMO_SESSIONS.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            texts.setdefault(row["question"], []).append(row["text"])
    return texts


def _day(rng: random.Random, first: date, days: int) -> date:
    return first + timedelta(days=rng.randrange(days))


def load_bulk_responses(
    count: int, *, seed: int = 7, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Add about `count` coded responses; return how many sessions, submissions and responses.

    Commits after each batch, so an interrupted load leaves whole batches.
    """
    rng = random.Random(seed)
    areas = list(db.session.scalars(sa.select(Area.id).order_by(Area.position)))
    survey_id = db.session.scalar(sa.select(Survey.id).order_by(Survey.id))
    if not areas or survey_id is None:
        raise RuntimeError("Load the reference data first: flask reference load")
    texts = demo_texts()
    questions = sorted(texts)
    first_day, days = date.today() - timedelta(days=540), 540
    added = {"sessions": 0, "submissions": 0, "responses": 0}
    # References are unique: a second load into the same database gets its own.
    run = secrets.token_hex(4)
    while added["responses"] < count:
        size = min(BATCH, count - added["responses"])
        rows = _batch(rng, size, areas, survey_id, questions, texts, first_day, days, added, run)
        inserted = _insert_batch(rows)
        db.session.commit()
        added["responses"] += inserted
        if progress is not None:
            progress(inserted)
    _refresh_statistics()
    return added


def _refresh_statistics() -> None:
    """Do what autovacuum would do soon after a real import, now.

    Without planner statistics PostgreSQL plans the dashboard's queries for an
    empty table; without a vacuum its visibility map is empty and the covering
    indexes cannot answer from the index alone. VACUUM cannot run inside a
    transaction, hence the autocommit connection.
    """
    if db.engine.dialect.name != "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        return
    db.session.remove()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def _batch(
    rng: random.Random,
    size: int,
    areas: list[int],
    survey_id: str,
    questions: list[str],
    texts: dict[str, list[str]],
    first_day: date,
    days: int,
    added: dict[str, int],
    run: str,
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Plan one batch: each parent (a session or a submission) with its responses."""
    planned: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    total = 0
    now = utcnow()
    while total < size:
        area_id = rng.choice(areas)
        day = _day(rng, first_day, days)
        if rng.random() < SURVEY_SHARE:
            number = min(ANSWERS_PER_SUBMISSION, size - total)
            parent = {
                "kind": "survey",
                "survey_id": survey_id,
                "survey_version": 1,
                "reference": f"B-{run}-{added['submissions']:07d}",
                "area_id": area_id,
                "age_band": rng.choice(AGE_BANDS),
                "answers": {},
                "created_at": datetime.combine(day, time(12), UTC),
            }
            chosen = questions[:number]
        else:
            number = min(POINTS_PER_SESSION, size - total)
            parent = {
                "kind": "session",
                "reference": f"BULK-{run}-{added['sessions']:07d}",
                "area_id": area_id,
                "held_on": day,
                "venue": "Community centre",
                "audience": rng.choice(list(AUDIENCES)),
                "participants": rng.randint(5, 40),
                "facilitator": "Bulk loader",
                "created_at": now,
                "updated_at": now,
            }
            chosen = [rng.choice(questions) for _ in range(number)]
        responses = [
            {
                "source": parent["kind"],
                "question_id": question,
                "area_id": area_id,
                "position": position,
                "text": rng.choice(texts[question]),
                "created_at": parent["created_at"],
                "updated_at": parent["created_at"],
            }
            for position, question in enumerate(chosen)
        ]
        planned.append((parent, responses))
        total += number
        added["submissions" if parent["kind"] == "survey" else "sessions"] += 1
    return planned


def _insert_batch(planned: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> int:
    """Insert the parents, then their responses, then code the responses."""
    sessions = [parent for parent, _ in planned if parent["kind"] == "session"]
    submissions = [parent for parent, _ in planned if parent["kind"] == "survey"]
    session_ids = _insert_parents(
        ConversationSession.__table__, ConversationSession.reference, sessions
    )
    submission_ids = _insert_parents(
        SurveySubmission.__table__, SurveySubmission.reference, submissions
    )
    response_rows: list[dict[str, Any]] = []
    for parent, responses in planned:
        for response in responses:
            if parent["kind"] == "session":
                response["session_id"] = session_ids[parent["reference"]]
            else:
                response["submission_id"] = submission_ids[parent["reference"]]
            response_rows.append(response)
    first_id = (db.session.scalar(sa.select(sa.func.max(Response.id))) or 0) + 1
    db.session.execute(sa.insert(Response), response_rows)
    items = [
        ResponseText(response_id, text, question)
        for response_id, text, question in db.session.execute(
            sa.select(Response.id, Response.text, Response.question_id)
            .where(Response.id >= first_id)
            .order_by(Response.id)
        )
    ]
    code_responses(items, new=True)
    return len(response_rows)


def _insert_parents(table: Any, reference: Any, parents: list[dict[str, Any]]) -> dict[str, int]:
    """Insert sessions or submissions; return their ids by reference."""
    if not parents:
        return {}
    columns = {column.name for column in table.columns}
    db.session.execute(
        sa.insert(table), [{k: v for k, v in p.items() if k in columns} for p in parents]
    )
    references = [p["reference"] for p in parents]
    ids: dict[str, int] = {}
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        ids.update(
            db.session.execute(sa.select(reference, table.c.id).where(reference.in_(chunk))).all()
        )
    return ids
