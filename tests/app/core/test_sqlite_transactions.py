"""On SQLite, page views read while another request holds the write lock."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

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
