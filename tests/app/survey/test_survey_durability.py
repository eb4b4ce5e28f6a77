"""On PostgreSQL, draft saves skip the wait for the disk flush; submissions never do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from tests.app.survey.conftest import submit


@pytest.fixture
def commit_settings(app: Flask) -> Iterator[list[str]]:
    """The synchronous_commit in force at each commit the app makes, in order."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's synchronous_commit only")
    seen: list[str] = []

    def record(connection: sa.Connection) -> None:
        setting = connection.exec_driver_sql("SHOW synchronous_commit").scalar()
        seen.append(str(setting))

    sa.event.listen(engine, "commit", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "commit", record)


def test_draft_saves_skip_the_flush_wait_and_the_submission_keeps_it(
    app: Flask,
    client: FlaskClient,
    answer_all: Callable[..., Any],
    commit_settings: list[str],
) -> None:
    check = answer_all(client)
    draft_commits = list(commit_settings)
    commit_settings.clear()
    done = submit(client, check.get_data(as_text=True))
    assert done.status_code == 302 and done.headers["Location"].endswith("/confirmation")
    # Each answered page is a draft save; page views commit their reads with the default.
    assert draft_commits.count("off") >= 8
    assert set(draft_commits) <= {"on", "off"}
    assert commit_settings and set(commit_settings) == {"on"}
