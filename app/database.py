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
its write starts a transaction of its own and waits like any other. A POST
that reads before it writes can do the same with `sqlite_reads()`: a survey
submission looks up the codebook that way before it takes the write lock.

The draft statements every survey page runs go straight to a pooled DBAPI
connection (DirectStatement, run_direct), each in a transaction of its own,
so a page save holds SQLite's write lock for that one statement. On
PostgreSQL they have an engine of their own (create_draft_engine).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, request
from sqlalchemy.engine import make_url

from app.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long BEGIN IMMEDIATE retries in short pauses before SQLite's own wait.
SQLITE_QUICK_RETRY_SECONDS = 0.25
SQLITE_FIRST_PAUSE_SECONDS = 0.00005
SQLITE_LONGEST_PAUSE_SECONDS = 0.001
# A pooled PostgreSQL connection left unused this long is tested before use.
IDLE_PING_SECONDS = 10.0
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Where init_app keeps the PostgreSQL engine for survey drafts (see draft_engine).
DRAFT_ENGINE_KEY = "survey_draft_engine"

# How the next SQLite transaction in this request (or thread) begins.
_begin_statement: ContextVar[str] = ContextVar("sqlite_begin", default="BEGIN IMMEDIATE")


def engine_options(url: str) -> dict[str, Any]:
    """Return the SQLAlchemy engine options suited to the database in `url`."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    # PostgreSQL: keep the pool small enough that two workers never exhaust
    # max_connections. Connections the server closed are caught by
    # _ping_if_idle below rather than by pool_pre_ping.
    return {"pool_size": 5, "max_overflow": 10, "pool_recycle": 1800}


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
    statement = _begin_statement.get()
    raw = connection.connection.driver_connection
    if statement == "BEGIN IMMEDIATE" and raw is not None and _begin_immediate_quickly(raw):
        return
    connection.exec_driver_sql(statement)


def _begin_immediate_quickly(raw: sqlite3.Connection) -> bool:
    """Try BEGIN IMMEDIATE in short pauses while another writer holds the lock.

    SQLite's busy handler sleeps 1, 2, 5, 10 ms and more between tries, far
    longer than this app's write transactions (a fraction of a millisecond):
    under load two workers spent an eighth of their time asleep with the
    database free. Returns False if the lock is still held after
    SQLITE_QUICK_RETRY_SECONDS; the caller then waits SQLite's way, with the
    full busy timeout and SQLAlchemy's usual errors.
    """
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + SQLITE_QUICK_RETRY_SECONDS
        pause = SQLITE_FIRST_PAUSE_SECONDS
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    return False
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, SQLITE_LONGEST_PAUSE_SECONDS)
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _remember_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(engine: sa.Engine) -> Callable[[Any, Any, Any], None]:
    """Return a pool "checkout" hook that tests connections that sat idle.

    pool_pre_ping would test every checkout: a round trip on every request,
    a fifth of the database's work on a survey page. A connection in steady
    use cannot have gone stale unnoticed; one idle for IDLE_PING_SECONDS may
    have been closed by a server restart or a firewall, so it is tested, and
    a dead one is swapped for a new connection before the request uses it.
    """
    errors = engine.dialect.loaded_dbapi.Error

    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in = record.info.get("checked_in_at")
        if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except errors as error:
            # The pool discards this connection and checks out another.
            raise sa.exc.DisconnectionError(str(error)) from error

    return ping


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


@contextmanager
def sqlite_reads() -> Iterator[None]:
    """Begin SQLite transactions inside this block with a plain BEGIN, whatever the request.

    For a transaction that only reads in a request that writes later: it
    never waits for the write lock, and the write that follows begins a
    transaction of its own.
    """
    token = _begin_statement.set("BEGIN")
    try:
        yield
    finally:
        _begin_statement.reset(token)


def configure_engine(engine: sa.Engine) -> None:
    """Attach the SQLite pragmas and immediate transactions, or PostgreSQL's idle ping."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
    else:
        sa.event.listen(engine, "checkin", _remember_checkin)
        sa.event.listen(engine, "checkout", _ping_if_idle(engine))


def create_draft_engine(url: str | sa.URL) -> sa.Engine:
    """Return a PostgreSQL engine for survey drafts: autocommit, without the flush wait.

    A survey page reads the respondent's draft, and saving the page writes it
    back: one statement each, which need no transaction around them. In
    autocommit mode each is one round trip, where a transaction costs three
    (BEGIN, the statement, COMMIT) and a round trip costs the worker more CPU
    than the statement costs PostgreSQL. Its connections also set
    synchronous_commit off, so a draft save returns before PostgreSQL has
    flushed it to disk: a crash of the database server (not of the app) can
    lose the last fraction of a second of draft saves, and those respondents
    answer a page again. Submissions go through the main engine and wait for
    the flush as usual.
    """
    url = make_url(url)
    engine = sa.create_engine(
        url,
        # The main engine's pool settings, smaller: a sync worker uses one at a time.
        **{**engine_options(url.drivername), "pool_size": 2, "max_overflow": 5},
        isolation_level="AUTOCOMMIT",
        connect_args={"options": "-c synchronous_commit=off"},
    )
    configure_engine(engine)
    return engine


@dataclass(frozen=True)
class _CompiledForDialect:
    sql: str
    # Parameter names in placeholder order (positional dialects), else None.
    positions: tuple[str, ...] | None
    bind_processors: dict[str, Callable[[Any], Any]]
    result_processors: tuple[Callable[[Any], Any] | None, ...]


class DirectStatement:
    """A Core statement compiled once per dialect and run on a pooled DBAPI connection.

    For the few statements every survey page runs: SQLAlchemy's Connection,
    its transaction, events and result objects cost the worker several
    times what the statement costs the database (a draft read: 200 µs
    against 25 µs on SQLite, 580 against 270 on PostgreSQL). The SQL and the
    types' bind and result processors are SQLAlchemy's own, so values are
    stored and read exactly as everywhere else. Run it with `run_direct`.
    """

    def __init__(self, statement: sa.Select[Any] | sa.Insert | sa.Update) -> None:
        self.statement = statement
        self._compiled: dict[str, _CompiledForDialect] = {}

    def compiled(self, dialect: sa.Dialect) -> _CompiledForDialect:
        """Return the SQL and the value processors of this statement for `dialect`."""
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            bind_processors: dict[str, Callable[[Any], Any]] = {}
            for name, parameter in compiled.binds.items():
                processor = parameter.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    bind_processors[name] = processor
            found = _CompiledForDialect(
                sql=compiled.string,
                positions=tuple(compiled.positiontup or ()) if dialect.positional else None,
                bind_processors=bind_processors,
                result_processors=tuple(
                    column.type.dialect_impl(dialect).result_processor(dialect, None)
                    for column in self.statement.exported_columns
                ),
            )
            self._compiled[dialect.name] = found
        return found

    def parameters(
        self, dialect: sa.Dialect, values: Mapping[str, Any]
    ) -> tuple[Any, ...] | dict[str, Any]:
        """Return `values` processed and arranged as the DBAPI driver of `dialect` takes them."""
        compiled = self.compiled(dialect)
        processors = compiled.bind_processors
        processed = {
            name: processors[name](value) if name in processors else value
            for name, value in values.items()
        }
        if compiled.positions is None:
            return processed
        return tuple(processed[name] for name in compiled.positions)

    def rows(self, dialect: sa.Dialect, fetched: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Return the driver's `fetched` rows with each column's result processor applied."""
        processors = self.compiled(dialect).result_processors
        return [
            tuple(
                processor(value) if processor is not None else value
                for processor, value in zip(processors, row, strict=True)
            )
            for row in fetched
        ]


def run_direct(
    engine: sa.Engine,
    statement: DirectStatement,
    values: Mapping[str, Any],
    *,
    writes: bool,
) -> list[tuple[Any, ...]]:
    """Run one statement in a transaction of its own on a pooled DBAPI connection.

    On SQLite a read runs in SQLite's own implicit transaction, and a write
    takes the write lock as any write transaction here does (BEGIN
    IMMEDIATE, in short pauses while another writer holds it), for this one
    statement. On PostgreSQL `engine` is expected to autocommit (see
    create_draft_engine). Errors come back as SQLAlchemy's, and a connection
    the database dropped is discarded from the pool, as on SQLAlchemy's
    own path.
    """
    dialect = engine.dialect
    compiled = statement.compiled(dialect)
    parameters = statement.parameters(dialect, values)
    pooled = engine.raw_connection()
    driver: Any = pooled.driver_connection
    cursor = None
    try:
        is_sqlite = dialect.name == "sqlite"
        if writes and is_sqlite and not _begin_immediate_quickly(driver):
            driver.execute("BEGIN IMMEDIATE")
        cursor = pooled.cursor()
        cursor.execute(compiled.sql, parameters)
        fetched = cursor.fetchall() if cursor.description is not None else []
        if writes and is_sqlite:
            driver.commit()
        return statement.rows(dialect, fetched)
    except dialect.loaded_dbapi.Error as error:
        disconnected = dialect.is_disconnect(error, pooled, cursor)
        if disconnected:
            pooled.invalidate(error)
        else:
            pooled.rollback()
        raise sa.exc.DBAPIError.instance(
            compiled.sql,
            parameters,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=disconnected,
            dialect=dialect,
        ) from error
    finally:
        if cursor is not None:
            cursor.close()
        pooled.close()  # back to the pool


def session_in_transaction() -> bool:
    """Whether this request's ORM session has begun a transaction.

    Without creating the session if the request has not used it: a survey
    page that never touches the ORM would otherwise build one only to ask.
    """
    return bool(db.session.registry.has() and db.session().in_transaction())


def draft_engine() -> sa.Engine | None:
    """Return the current app's engine for survey drafts (None on SQLite: use the main one).

    SQLite has no flush wait to skip, and its one write lock is shared by
    every connection: a draft save must join a write transaction the request
    already holds, or it would wait for itself.
    """
    return current_app.extensions.get(DRAFT_ENGINE_KEY)  # type: ignore[no-any-return]


def dispose_engines(app: Flask) -> None:
    """Close every pooled connection of `app` (the main engine's and the drafts')."""
    with app.app_context():
        db.engine.dispose()
    drafts = app.extensions.get(DRAFT_ENGINE_KEY)
    if drafts is not None:
        drafts.dispose()


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy to `app` and tune its engine."""
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
        is_sqlite = db.engine.dialect.name == "sqlite"
        url = db.engine.url
    if is_sqlite:
        app.before_request(_choose_transaction_mode)
        app.teardown_request(_restore_transaction_mode)
    else:
        # Connects on first use, so commands that never touch a draft never connect.
        app.extensions[DRAFT_ENGINE_KEY] = create_draft_engine(url)


__all__ = [
    "DirectStatement",
    "configure_engine",
    "create_draft_engine",
    "db",
    "dispose_engines",
    "draft_engine",
    "engine_options",
    "init_app",
    "run_direct",
    "session_in_transaction",
    "sqlite_reads",
]
