"""Shared fixtures: one app and database for the run, emptied before each test.

The schema is built by running the migrations on an empty database (SQLite by
default, PostgreSQL when TEST_DATABASE_URL says so), so every test run also
proves the migrations work.

Requests must not run inside an app context that a test pushed: Flask would
reuse it, and `g` (where Flask-Login keeps the signed-in user) would leak from
one request to the next. Fixtures therefore open a context only around their
own database work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from app.database import dispose_engines
from app.extensions import db, limiter
from app.reference_data import load_reference_data
from tests.factories import SessionFactory, UserFactory


def _empty_database() -> None:
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    else:
        metadata = sa.MetaData()
        metadata.reflect(bind=engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in reversed(metadata.sorted_tables):
                connection.execute(sa.text(f'DROP TABLE "{table.name}"'))
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    """The application under test, on a database built by the migrations."""
    application = create_app("test")
    with application.app_context():
        _empty_database()
        upgrade(directory="migrations")
        db.session.remove()
    yield application
    with application.app_context():
        database = db.engine.url.database
        is_sqlite = db.engine.dialect.name == "sqlite"
    dispose_engines(application)
    if is_sqlite and database:
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)
    Path(application.config["ANALYSIS_MODEL_PATH"]).unlink(missing_ok=True)


@pytest.fixture
def clean_database(app: Flask) -> Iterator[None]:
    """Empty every table and reload the reference data.

    Autouse for the app and browser tests (their conftest.py); the analysis
    tests need no database and do not pay for it.
    """
    with app.app_context():
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        for table in tables:
            db.session.execute(table.delete())
        load_reference_data()
        db.session.commit()
        db.session.remove()
    app.extensions.pop("sign_in_throttle", None)
    limiter.reset()
    yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client with its own cookie jar."""
    return app.test_client()


@dataclass(frozen=True)
class StaffMember:
    """What a test needs to act as a member of staff."""

    id: int
    email: str
    password: str
    role: str
    area_ids: tuple[int, ...]


@pytest.fixture
def make_user(app: Flask) -> Callable[..., StaffMember]:
    """Create a staff account; returns its id, email and password."""

    def make(
        role: str = "lead", areas: tuple[str, ...] = ("Belgrave",), **fields: Any
    ) -> StaffMember:
        password = fields.pop("password", "a long enough password 1")
        with app.app_context():
            user = UserFactory(
                role=role, area_names=areas if role == "lead" else (), password=password, **fields
            )
            db.session.commit()
            member = StaffMember(
                user.id, user.email, password, user.role, tuple(sorted(user.area_ids))
            )
            db.session.remove()
        return member

    return make


@pytest.fixture
def make_session(app: Flask) -> Callable[..., int]:
    """Create a conversation session with points; returns its id."""

    def make(area: str = "Belgrave", **fields: Any) -> int:
        with app.app_context():
            conversation = SessionFactory(area_name=area, **fields)
            db.session.commit()
            session_id = conversation.id
            db.session.remove()
        return session_id

    return make


def sign_in(client: FlaskClient, member: StaffMember) -> None:
    """Sign `member` in through the real sign-in form."""
    page = client.get("/sign-in")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/sign-in", data={"email": member.email, "password": member.password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form in `html`."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def signed_in(
    client: FlaskClient, make_user: Callable[..., StaffMember]
) -> Callable[..., StaffMember]:
    """Create a user of a role and sign the client in as them."""

    def as_role(role: str = "lead", areas: tuple[str, ...] = ("Belgrave",)) -> StaffMember:
        member = make_user(role=role, areas=areas)
        sign_in(client, member)
        return member

    return as_role
