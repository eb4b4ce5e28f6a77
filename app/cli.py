"""Command-line tools: `flask users`, `flask sessions`, `flask reference`, `flask demo`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app import audit
from app.exports import write_responses_csv
from app.extensions import db
from app.models import Area, User
from app.reference import ROLES

users_cli = AppGroup("users", help="Manage staff accounts.")
sessions_cli = AppGroup("sessions", help="Import session notes.")
reference_cli = AppGroup("reference", help="Reference data from the codebook.")
demo_cli = AppGroup("demo", help="The demo data set (never in production).")
analysis_cli = AppGroup("analysis", help="Theme coding of stored responses.")
export_cli = AppGroup("export", help="Export stored data.")
survey_cli = AppGroup("survey", help="The residents' survey: retention.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@users_cli.command("create")
@click.option("--email", required=True, help="Their email address (used to sign in).")
@click.option("--name", required=True, help="Their full name.")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="Their role.")
@click.option("--area", "areas", multiple=True, help="An area a lead holds (repeatable).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
def create_user_command(
    email: str, name: str, role: str, areas: tuple[str, ...], password_stdin: bool
) -> None:
    """Create a staff account with a password."""
    from app.admin.services import AccountError, create_user
    from app.auth.passwords import hash_password, password_problem

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, email=email, name=name)
    if problem:
        _fail(problem)
    known = {a.name.lower(): a for a in db.session.scalars(sa.select(Area))}
    unknown = [a for a in areas if a.lower() not in known]
    if unknown:
        names = ", ".join(area.name for area in known.values())
        _fail(f"unknown area {', '.join(unknown)}; areas are: {names}")
    try:
        user = create_user(
            email=email,
            name=name,
            role=role,
            area_ids=[known[a.lower()].id for a in areas],
            password_hash=hash_password(password),
        )
    except AccountError as error:
        db.session.rollback()
        _fail(str(error))
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


@sessions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_email", help="Import as this staff member (default: the system).")
def import_command(file: Path, as_email: str | None) -> None:
    """Import session notes from a CSV or XLSX file: every row, or none."""
    from app.sessions.importing import (
        ImportFileError,
        ImportRejected,
        parse_session_rows,
        read_import_file,
    )
    from app.sessions.services import import_sessions, writable_area_names

    user = None
    if as_email:
        user = db.session.scalar(sa.select(User).where(User.email == as_email.lower()))
        if user is None:
            _fail(f"no staff account {as_email}")
    area_names = [a.name for a in db.session.scalars(sa.select(Area).order_by(Area.position))]
    try:
        data = file.read_bytes()
        rows = read_import_file(data, file.name)
        parsed = parse_session_rows(
            rows, area_names=area_names, allowed_areas=writable_area_names(user)
        )
        summary = import_sessions(parsed, user, file.name)
    except ImportFileError as problem:
        db.session.rollback()
        _fail(problem.message)
    except ImportRejected as rejected:
        db.session.rollback()
        click.echo(f"Nothing imported: {len(rejected.errors)} problem(s).", err=True)
        for error in rejected.errors:
            click.echo(f"row {error.row}, {error.column or 'row'}: {error.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Imported {summary.sessions} sessions with {summary.responses} points.")


@reference_cli.command("load")
def load_reference_command() -> None:
    """Load areas, questions, concepts and themes from the codebook (safe to repeat)."""
    from app.reference_data import load_reference_data
    from app.survey.services import sync_surveys

    counts = load_reference_data()
    counts["surveys"] = sync_surveys()
    db.session.commit()
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()) + " loaded.")


@demo_cli.command("load")
def load_demo_command() -> None:
    """Add the demo sign-ins and demo sessions (safe to repeat; refused in production)."""
    from app.demo import DEMO_USERS, load_demo_data

    if current_app.config["ENV_NAME"] == "production":
        _fail("the demo data set has public passwords and is never loaded in production")
    added = load_demo_data()
    db.session.commit()
    click.echo(
        f"Demo data: {added['users']} users, {added['sessions']} sessions, "
        f"{added['responses']} points added."
    )
    click.echo("Demo sign-ins:")
    for demo in DEMO_USERS:
        areas = f" ({', '.join(demo.areas)})" if demo.areas else ""
        click.echo(f"  {demo.role:<9} {demo.email:<40} password: {demo.password}{areas}")


@demo_cli.command("bulk")
@click.option("--responses", type=click.IntRange(1, 2_000_000), default=100_000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def bulk_demo_command(responses: int, seed: int) -> None:
    """Add many coded responses, for the dashboard benchmarks (refused in production)."""
    from app.demo.bulk import load_bulk_responses

    if current_app.config["ENV_NAME"] == "production":
        _fail("synthetic responses are never loaded in production")
    with click.progressbar(length=responses, label="Loading and coding", file=sys.stderr) as bar:
        added = load_bulk_responses(responses, seed=seed, progress=bar.update)
    click.echo(
        f"Added {added['responses']} coded responses in {added['sessions']} sessions "
        f"and {added['submissions']} survey submissions."
    )


@analysis_cli.command("recode")
@click.option(
    "--all", "everything", is_flag=True, help="Re-code every response, not only stale ones."
)
def recode_command(everything: bool) -> None:
    """Re-code responses after a codebook or model change (codes a person set are kept).

    Runs the same re-coding job as the codebook editor's background re-coding,
    in the foreground: it supersedes any job waiting or running.
    """
    from app.codebook import recoding
    from app.coding import coder_for_version

    try:
        job = recoding.start_job_here(everything=everything)
    except LookupError as problem:
        _fail(str(problem))
    coder = coder_for_version(job.codebook_version)
    click.echo(
        f"Codebook version {job.codebook_version}, coder {coder.version}: "
        f"{job.total} response(s) to code.",
        err=True,
    )
    with click.progressbar(length=job.total, label="Coding", file=sys.stderr) as bar:
        summary = recoding.run_job(job.id, job.runner or "", progress=bar.update, pause=0.0)
    click.echo(
        f"Coded {summary.responses} responses: {summary.codes} automatic codes, "
        f"{summary.flagged} safeguarding flags."
    )


@analysis_cli.command("retrain")
def retrain_command() -> None:
    """Retrain the learned layer with every reviewed response, then use it for new coding."""
    from app.coding import retrain_from_reviews

    result = retrain_from_reviews()
    audit.record(
        "coder_retrained",
        actor_label="command line",
        details={"reviewed_rows": result.reviewed_rows, "coder_version": result.coder_version},
    )
    db.session.commit()
    click.echo(
        f"Retrained with {result.reviewed_rows} reviewed responses: coder {result.coder_version}."
    )
    click.echo("Run 'flask analysis recode' to re-code stored responses with it.")


@export_cli.command("responses")
@click.option(
    "--format", "file_format", type=click.Choice(["csv"]), default="csv", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--redact/--no-redact",
    default=True,
    show_default=True,
    help="Replace names, emails, phone numbers, postcodes and addresses with placeholders.",
)
def export_responses_command(file_format: str, output: Path | None, redact: bool) -> None:
    """Export every response with its area, question and themes (formula cells neutralised)."""
    del file_format
    if output is None:
        count = write_responses_csv(sys.stdout, redact=redact)
    else:
        # Write next to the target, then rename: a failed export never leaves half a file.
        partial = output.with_name(output.name + ".partial")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            count = write_responses_csv(handle, redact=redact)
        partial.replace(output)
    audit.record(
        "responses_exported",
        actor_label="command line",
        details={
            "rows": count,
            "format": "csv",
            "to": "file" if output else "stdout",
            "redacted": redact,
        },
    )
    db.session.commit()
    click.echo(f"Exported {count} responses.", err=True)


@survey_cli.command("purge-contacts")
@click.option("--older-than-days", type=click.IntRange(min=0), default=None)
def purge_contacts_command(older_than_days: int | None) -> None:
    """Delete follow-up contact details older than the retention period."""
    from app.survey.services import purge_contacts

    days = (
        older_than_days
        if older_than_days is not None
        else current_app.config["SURVEY_CONTACT_RETENTION_DAYS"]
    )
    deleted = purge_contacts(days)
    db.session.commit()
    click.echo(f"Deleted {deleted} contact detail(s) older than {days} days.")


@survey_cli.command("purge-drafts")
@click.option("--older-than-hours", type=click.IntRange(min=1), default=24, show_default=True)
def purge_drafts_command(older_than_hours: int) -> None:
    """Delete unfinished (and submitted) survey drafts left untouched this long."""
    from app.survey.services import purge_drafts

    deleted = purge_drafts(older_than_hours)
    db.session.commit()
    click.echo(f"Deleted {deleted} draft(s) older than {older_than_hours} hours.")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (
        users_cli,
        sessions_cli,
        reference_cli,
        demo_cli,
        analysis_cli,
        export_cli,
        survey_cli,
    ):
        app.cli.add_command(group)
