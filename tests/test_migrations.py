"""The migrations build the schema the models describe, on SQLite and PostgreSQL.

The session's `app` fixture has already upgraded an empty database with the
migrations (SQLite, or PostgreSQL under TEST_DATABASE_URL); this compares the
result with the models, and checks the SQLite settings that keep concurrent
writes safe.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from app import database
from app.extensions import db
from app.models import AuditEvent


def test_migrated_schema_matches_the_models(app: Flask) -> None:
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
        db.session.remove()
    assert differences == []


def test_sqlite_connections_are_configured_for_concurrency(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            # PostgreSQL tests idle pooled connections itself (app.database).
            assert sa.event.contains(db.engine, "checkin", database._remember_checkin)
            db.session.remove()
            return
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        db.session.remove()


def test_concurrent_read_then_write_transactions_never_fail(
    app: Flask, clean_database: None
) -> None:
    """Sixteen threads each read then write in one transaction, many times over."""
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            with app.app_context():
                for attempt in range(15):
                    db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
                    db.session.add(
                        AuditEvent(action="concurrency_test", details={"n": number, "a": attempt})
                    )
                    db.session.commit()
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "concurrency_test")
        )
        db.session.remove()
    assert count == 16 * 15
