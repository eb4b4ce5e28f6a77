"""On PostgreSQL, drafts are read and saved autocommitted, without the flush wait."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.database import draft_engine
from app.extensions import db
from tests.app.survey.conftest import submit


@dataclass(frozen=True)
class Statement:
    """How one statement on a survey table ran."""

    words: str
    autocommit: bool
    synchronous_commit: str


@pytest.fixture
def survey_statements(app: Flask) -> Iterator[list[Statement]]:
    """Each statement the app runs on the drafts or submissions, with its connection's settings."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's synchronous_commit only")
        engines = [db.engine, draft_engine()]
    seen: list[Statement] = []

    def record(connection: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if "survey_drafts" not in statement and "survey_submissions" not in statement:
            return
        raw = connection.connection.driver_connection
        setting = raw.execute("SHOW synchronous_commit").fetchone()[0]
        words = " ".join(statement.split()[:3])
        seen.append(Statement(words, bool(raw.autocommit), str(setting)))

    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", record)


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
