"""On PostgreSQL, a pooled connection the server closed while idle is replaced unnoticed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import database
from app.extensions import db


def _terminate(url: sa.URL, backend_pid: int) -> None:
    """Close one server connection from outside the app's pool (as a restart would)."""
    outsider = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with outsider.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
    outsider.dispose()


@pytest.fixture
def fresh_pool(app: Flask) -> Iterator[None]:
    """Start and end with an empty pool, so no test leaves a dead connection behind.

    The pool holds several connections; one killed here and not yet handed
    out would otherwise reach the next test without its idle ping.
    """
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's connection pool only")
        db.session.remove()
        db.engine.dispose()
        yield
        db.session.remove()
        db.engine.dispose()


def _backend_pid() -> int:
    pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
    db.session.commit()
    db.session.remove()  # the connection goes back to the pool
    assert isinstance(pid, int)
    return pid


def test_an_idle_connection_closed_by_the_server_is_swapped(
    app: Flask, fresh_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        first = _backend_pid()
        _terminate(db.engine.url, first)
        monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
        # The request after the lull gets a working connection, not an error.
        second = _backend_pid()
        assert second != first


def test_a_busy_connection_is_not_pinged(
    app: Flask, fresh_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        pings: list[object] = []
        original = db.engine.dialect.do_ping

        def counting_ping(connection: Any) -> bool:
            pings.append(connection)
            return original(connection)

        monkeypatch.setattr(db.engine.dialect, "do_ping", counting_ping)
        for _ in range(3):
            _backend_pid()
        assert pings == []
