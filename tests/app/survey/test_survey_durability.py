"""How drafts are read and saved: each statement in a transaction of its own.

On PostgreSQL autocommitted, without the flush wait (a submission waits); on
SQLite the write lock is taken for the save alone, not for the whole page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Response
from tests.app.survey.conftest import SURVEY, post_page, submit
from tests.conftest import csrf_token


@dataclass(frozen=True)
class Statement:
    """How one statement on a survey table ran."""

    words: str
    autocommit: bool
    synchronous_commit: str


@pytest.fixture
def survey_statements(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[Statement]:
    """Each statement the app runs on the drafts or submissions, with its connection's settings.

    Recorded in the driver, below SQLAlchemy: draft statements skip
    SQLAlchemy's Connection and its events (app.database.run_direct).
    """
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's synchronous_commit only")
    import psycopg

    seen: list[Statement] = []
    execute = psycopg.Cursor.execute

    def record(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        statement = str(query)
        if "survey_drafts" in statement or "survey_submissions" in statement:
            connection = cursor.connection
            setting = connection.execute("SHOW synchronous_commit").fetchone()
            words = " ".join(statement.split()[:3])
            seen.append(Statement(words, connection.autocommit, str(setting[0] if setting else "")))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", record)
    return seen


def test_draft_statements_autocommit_without_the_flush_wait_and_the_submission_waits(
    client: FlaskClient,
    answer_all: Callable[..., Any],
    survey_statements: list[Statement],
) -> None:
    check = answer_all(client)
    drafts = list(survey_statements)
    survey_statements.clear()
    done = submit(client, check.get_data(as_text=True))
    assert done.status_code == 302 and done.headers["Location"].endswith("/confirmation")

    saves = [s for s in drafts if s.words.startswith("UPDATE survey_drafts")]
    assert len(saves) >= 8  # one per answered page
    assert any(s.words.startswith("INSERT INTO survey_drafts") for s in drafts)
    assert {(s.autocommit, s.synchronous_commit) for s in drafts} == {(True, "off")}

    submission = [
        s for s in survey_statements if s.words.startswith("INSERT INTO survey_submissions")
    ]
    assert len(submission) == 1
    assert submission[0].autocommit is False
    assert submission[0].synchronous_commit == "on"


def test_on_sqlite_a_page_reads_its_draft_without_the_write_lock_and_saves_in_one_statement(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's locking only")
    assert post_page(client, "area", {"area": "highfields"}).status_code == 302
    page = client.get(f"{SURVEY}/connection")
    executed: list[str] = []

    def trace(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.set_trace_callback(executed.append)

    sa.event.listen(engine, "checkout", trace)
    try:
        sent = client.post(
            f"{SURVEY}/connection",
            data={"connection": "live", "csrf_token": csrf_token(page.get_data(as_text=True))},
        )
    finally:
        sa.event.remove(engine, "checkout", trace)
        engine.dispose()  # no pooled connection keeps the trace
    assert sent.status_code == 302
    # Each transaction as the statements it ran; a statement outside BEGIN ...
    # COMMIT ran in SQLite's own implicit transaction, and stands alone.
    transactions: list[list[str]] = []
    inside = False
    for statement in executed:
        words = " ".join(statement.split()[:3])
        if words.startswith("PRAGMA"):
            continue
        if words.startswith("BEGIN"):
            transactions.append([words])
            inside = True
        elif inside:
            transactions[-1].append(words)
            inside = not words.startswith(("COMMIT", "ROLLBACK"))
        else:
            transactions.append([words])
    # (A transaction that re-reads whether the survey is open may come first.)
    drafts = [t for t in transactions if any("survey_drafts" in words for words in t)]
    assert drafts == [
        ["SELECT survey_drafts.id, survey_drafts.survey_id,"],
        ["BEGIN IMMEDIATE", "UPDATE survey_drafts SET", "COMMIT"],
    ]


def test_on_sqlite_a_submission_is_coded_before_it_takes_the_write_lock(
    app: Flask, client: FlaskClient, answer_all: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import coding

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock only")
    check = answer_all(client)
    lock_free_while_coding: list[bool] = []
    compute = coding.compute_codes

    def coding_while_probing_the_lock(items: Any, coder: Any) -> Any:
        # Another writer can take the lock while the answers are coded.
        probe = sqlite3.connect(engine.url.database or "", timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            lock_free_while_coding.append(True)
        except sqlite3.OperationalError:
            lock_free_while_coding.append(False)
        finally:
            probe.close()
        return compute(items, coder)

    monkeypatch.setattr(coding, "compute_codes", coding_while_probing_the_lock)
    done = submit(client, check.get_data(as_text=True))
    assert done.status_code == 302 and done.headers["Location"].endswith("/confirmation")
    assert lock_free_while_coding == [True]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 4
        db.session.remove()
