"""On SQLite, page views read while another request holds the write lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import database
from app.extensions import db
from tests.conftest import StaffMember, sign_in


def _is_sqlite(app: Flask) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"


def test_a_page_view_does_not_wait_for_a_writer(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., StaffMember],
    make_session: Callable[..., int],
) -> None:
    if not _is_sqlite(app):
        pytest.skip("SQLite's locking only")
    make_session()
    sign_in(client, make_user())
    with app.app_context():
        writer = db.engine.connect()
        writer.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock is taken
        writer.execute(sa.text("UPDATE areas SET position = position"))
    statuses: list[int] = []
    reader = threading.Thread(target=lambda: statuses.append(client.get("/sessions/").status_code))
    try:
        reader.start()
        reader.join(timeout=5)
        assert statuses == [200], "the page view waited for the writer's lock"
    finally:
        writer.rollback()
        writer.close()
        reader.join()


def _busy_timeout(connection: sa.Connection) -> int:
    return int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)


def test_a_writer_starts_as_soon_as_the_lock_is_free(app: Flask) -> None:
    """A waiting writer begins within a millisecond or two of the lock's release."""
    if not _is_sqlite(app):
        pytest.skip("SQLite's locking only")
    with app.app_context():
        first = db.engine.connect()
        first.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock is taken
        began: list[float] = []
        second = db.engine.connect()

        def write() -> None:
            second.exec_driver_sql("SELECT 1")  # waits for the lock
            began.append(time.monotonic())

        writer = threading.Thread(target=write)
        try:
            writer.start()
            # By now SQLite's own busy handler would be in a 50 ms nap (178-228 ms).
            time.sleep(0.2)
            assert began == [], "the second writer did not wait for the lock"
            released = time.monotonic()
            first.commit()
            writer.join(timeout=5)
            assert began and began[0] - released < 0.01
            # Back to the full busy timeout for everything else it runs.
            assert _busy_timeout(second) == database.SQLITE_BUSY_TIMEOUT_MS
        finally:
            second.rollback()
            second.close()
            first.close()


def test_a_lock_held_longer_falls_back_to_sqlites_own_wait(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _is_sqlite(app):
        pytest.skip("SQLite's locking only")
    monkeypatch.setattr(database, "SQLITE_QUICK_RETRY_SECONDS", 0.01)
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    with app.app_context():
        first = db.engine.connect()
        first.exec_driver_sql("SELECT 1")
        second = db.engine.connect()
        try:
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError, match="locked"):
                second.exec_driver_sql("SELECT 1")
            # The quick tries, then SQLite's busy timeout (restored to the
            # patched 200 ms): an error SQLAlchemy wraps as usual.
            assert time.monotonic() - started >= 0.2
        finally:
            second.rollback()
            second.close()
            first.rollback()
            first.close()
