"""Database engine set-up for SQLite and PostgreSQL.

SQLite is the default for development and small installations. Under
concurrent requests a transaction that reads and then writes, begun with
SQLite's default deferred BEGIN, can fail with "database is locked" however
long the busy timeout is, because the lock upgrade cannot wait. Write
transactions therefore start with BEGIN IMMEDIATE, which takes the write lock
up front and waits for it (up to the busy timeout) instead of failing.

Requests that only read (GET and HEAD) begin with a plain BEGIN instead: in
WAL mode readers never wait for the writer, and holding the write lock while
a page renders would make every visitor queue behind every other. A GET that
must write (the staff session's last-seen time) commits its reads first, so
its write starts a transaction of its own and waits like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, request

from app.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# How the next SQLite transaction in this request (or thread) begins.
_begin_statement: ContextVar[str] = ContextVar("sqlite_begin", default="BEGIN IMMEDIATE")


def engine_options(url: str) -> dict[str, Any]:
    """Return the SQLAlchemy engine options suited to the database in `url`."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    # PostgreSQL: drop connections the server closed, and keep the pool small
    # enough that two workers never exhaust max_connections.
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10, "pool_recycle": 1800}


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" event below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _on_sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql(_begin_statement.get())


F = TypeVar("F", bound=Callable[..., Any])


def writes_on_read(view: F) -> F:
    """Mark a view whose page views write (an audit row for every view, say)."""
    view.writes_on_read = True  # type: ignore[attr-defined]
    return view


def _choose_transaction_mode() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    read_only = request.method in READ_ONLY_METHODS and not getattr(view, "writes_on_read", False)
    _begin_statement.set("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _restore_transaction_mode(_exception: BaseException | None = None) -> None:
    _begin_statement.set("BEGIN IMMEDIATE")


def configure_engine(engine: sa.Engine) -> None:
    """Attach the SQLite pragmas and immediate transactions to `engine`."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy to `app` and tune its engine."""
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
        is_sqlite = db.engine.dialect.name == "sqlite"
    if is_sqlite:
        app.before_request(_choose_transaction_mode)
        app.teardown_request(_restore_transaction_mode)


__all__ = ["configure_engine", "db", "engine_options", "init_app"]
