"""The `flask users`, `flask reference` and `flask demo` commands."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import ConversationSession, User


def test_users_create_reads_the_password_from_stdin(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Lead@Example.org",
            "--name",
            "Lead Person",
            "--role",
            "lead",
            "--area",
            "belgrave",
            "--area",
            "Highfields",
            "--password-stdin",
        ],
        input="a sensible long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created lead lead@example.org." in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "lead@example.org"))
        assert user is not None
        assert sorted(a.name for a in user.areas) == ["Belgrave", "Highfields"]
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        db.session.remove()


def test_users_create_refuses_bad_input_with_a_message(app: Flask) -> None:
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@example.org",
            "--name",
            "A",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert weak.exit_code == 2 and "12 characters or more" in weak.output
    unknown_area = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "b@example.org",
            "--name",
            "B",
            "--role",
            "lead",
            "--area",
            "Atlantis",
            "--password-stdin",
        ],
        input="a sensible long password\n",
    )
    assert unknown_area.exit_code == 2 and "unknown area Atlantis" in unknown_area.output
    no_area = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "c@example.org",
            "--name",
            "C",
            "--role",
            "lead",
            "--password-stdin",
        ],
        input="a sensible long password\n",
    )
    assert no_area.exit_code == 2 and "needs at least one area" in no_area.output
    runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "d@example.org",
            "--name",
            "D",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a sensible long password\n",
    )
    duplicate = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "D@example.org",
            "--name",
            "D",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a sensible long password\n",
    )
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output


def test_reference_and_demo_loads_are_repeatable(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert (
        "8 areas, 4 questions, 5 concepts, 27 themes loaded."
        in runner.invoke(args=["reference", "load"]).output
    )
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo data: 4 users, 16 sessions" in first.output
    assert "lead@demo.community-voice.org.uk" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert "Demo data: 0 users, 0 sessions, 0 points added." in second.output
    with app.app_context():
        areas = set(db.session.scalars(sa.select(ConversationSession.area_id)))
        assert len(areas) == 8
        db.session.remove()
