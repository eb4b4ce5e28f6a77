"""app.database.run_direct: one statement on a pooled DBAPI connection, errors as SQLAlchemy's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.database import DirectStatement, draft_engine, run_direct
from app.extensions import db
from app.models import SurveyDraft

_DRAFTS = SurveyDraft.__table__
_COUNT_DRAFTS = DirectStatement(sa.select(sa.func.count()).select_from(_DRAFTS))
_NO_SUCH_TABLE = DirectStatement(sa.select(sa.column("id")).select_from(sa.table("no_such_table")))


@pytest.fixture()
def engine(app: Flask) -> Iterator[sa.Engine]:
    """The engine survey drafts use, with an empty pool: the next checkout opens a connection."""
    with app.app_context():
        chosen = draft_engine() or db.engine
        chosen.dispose()
        yield chosen
        db.session.remove()


def test_a_failing_statement_raises_sqlalchemys_error_and_leaves_the_connection_usable(
    engine: sa.Engine,
) -> None:
    with pytest.raises(sa.exc.DBAPIError) as caught:
        run_direct(engine, _NO_SUCH_TABLE, {}, writes=False)
    assert "no_such_table" in str(caught.value)
    assert caught.value.connection_invalidated is False
    # Rolled back and returned to the pool, not discarded: the same
    # connection answers the next statement.
    assert engine.pool.checkedin() == 1
    assert run_direct(engine, _COUNT_DRAFTS, {}, writes=False) == [(0,)]


def test_a_failing_write_leaves_no_transaction_open(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.DBAPIError):
        run_direct(engine, _NO_SUCH_TABLE, {}, writes=True)
    # On SQLite the failed write had begun BEGIN IMMEDIATE: a transaction
    # left open would hold the write lock, and this write would wait for it.
    with engine.connect() as connection:
        connection.execute(sa.delete(_DRAFTS))
        connection.commit()
    assert run_direct(engine, _COUNT_DRAFTS, {}, writes=True) == [(0,)]


def test_a_connection_the_database_dropped_is_discarded(engine: sa.Engine) -> None:
    run_direct(engine, _COUNT_DRAFTS, {}, writes=False)  # one connection, back in the pool
    dropped: list[Any] = []

    def drop_it(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # As when the server restarted while the connection sat in the pool.
        if not dropped:
            dbapi_connection.close()
            dropped.append(dbapi_connection)

    sa.event.listen(engine, "checkout", drop_it)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught:
            run_direct(engine, _COUNT_DRAFTS, {}, writes=False)
    finally:
        sa.event.remove(engine, "checkout", drop_it)
    assert dropped
    assert caught.value.connection_invalidated is True
    # The dead connection left the pool; the next statement gets a new one.
    assert run_direct(engine, _COUNT_DRAFTS, {}, writes=False) == [(0,)]
    assert engine.pool.checkedin() == 1
