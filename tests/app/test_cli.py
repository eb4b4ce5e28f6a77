"""The `flask users`, `flask reference` and `flask demo` commands."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from app.extensions import db
from app.models import ConversationSession, Response, ResponseCode, User

GOOD_PASSWORD = "a sensible long password"


def _create_user(
    app: Flask, email: str, role: str, *areas: str, password: str = GOOD_PASSWORD
) -> Result:
    args = ["users", "create", "--email", email, "--name", "Some Person", "--role", role]
    for area in areas:
        args += ["--area", area]
    return app.test_cli_runner().invoke(args=[*args, "--password-stdin"], input=f"{password}\n")


def test_users_create_reads_the_password_from_stdin(app: Flask) -> None:
    result = _create_user(app, "Lead@Example.org", "lead", "belgrave", "Highfields")
    assert result.exit_code == 0, result.output
    assert "Created lead lead@example.org." in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "lead@example.org"))
        assert user is not None
        assert sorted(a.name for a in user.areas) == ["Belgrave", "Highfields"]
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        db.session.remove()


def test_users_create_refuses_bad_input_with_a_message(app: Flask) -> None:
    weak = _create_user(app, "a@example.org", "admin", password="short")
    assert weak.exit_code == 2 and "12 characters or more" in weak.output
    unknown_area = _create_user(app, "b@example.org", "lead", "Atlantis")
    assert unknown_area.exit_code == 2 and "unknown area Atlantis" in unknown_area.output
    no_area = _create_user(app, "c@example.org", "lead")
    assert no_area.exit_code == 2 and "needs at least one area" in no_area.output
    assert _create_user(app, "d@example.org", "admin").exit_code == 0
    duplicate = _create_user(app, "D@example.org", "admin")
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output


def test_reference_and_demo_loads_are_repeatable(app: Flask) -> None:
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["reference", "load"]).output
    assert "8 areas, 4 questions, 5 concepts, 27 themes, 1 surveys loaded." in loaded
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo data: 4 users, 16 sessions" in first.output
    assert "lead@demo.community-voice.org.uk" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert "Demo data: 0 users, 0 sessions, 0 points added." in second.output
    with app.app_context():
        areas = set(db.session.scalars(sa.select(ConversationSession.area_id)))
        uncoded = db.session.scalar(
            sa.select(sa.func.count(Response.id)).where(Response.coder_version.is_(None))
        )
        total = db.session.scalar(sa.select(sa.func.count(Response.id)))
        db.session.remove()
    assert len(areas) == 8
    assert total == 365 and uncoded == 0


def test_demo_bulk_adds_coded_responses_of_both_sources(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["reference", "load"])
    first = runner.invoke(args=["demo", "bulk", "--responses", "150"])
    assert first.exit_code == 0, first.output
    assert "Added 150 coded responses" in first.output
    # A second load gets references of its own rather than clashing.
    second = runner.invoke(args=["demo", "bulk", "--responses", "50", "--seed", "8"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        by_source = dict(
            db.session.execute(
                sa.select(Response.source, sa.func.count(Response.id)).group_by(Response.source)
            ).all()
        )
        uncoded = db.session.scalar(
            sa.select(sa.func.count(Response.id)).where(Response.coder_version.is_(None))
        )
        codes = db.session.scalar(sa.select(sa.func.count(ResponseCode.id)))
        orphans = db.session.scalar(
            sa.select(sa.func.count(Response.id)).where(
                Response.session_id.is_(None), Response.submission_id.is_(None)
            )
        )
        db.session.remove()
    assert sum(by_source.values()) == 200
    assert by_source["session"] > 0 and by_source["survey"] > 0
    assert uncoded == 0 and orphans == 0
    assert codes and codes > 50


def test_demo_bulk_refuses_bad_counts(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "bulk", "--responses", "0"])
    assert result.exit_code != 0
    assert "Invalid value for '--responses'" in result.output
