"""Session notes pages: list, record, read, edit, delete, import."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import Response as FlaskResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.auth.permissions import (
    can_record_sessions,
    can_write_area,
    readable_area_ids,
    staff_required,
    writable_area_ids,
)
from app.extensions import db
from app.models import Area, ConversationSession, User
from app.reference import AUDIENCES, QUESTION_IDS
from app.sessions import bp, services
from app.sessions.forms import QUESTION_FIELDS, DeleteForm, FilterForm, ImportForm, SessionForm
from app.sessions.importing import (
    MAX_TEXT_LENGTH,
    ImportFileError,
    ImportRejected,
    parse_session_rows,
    read_import_file,
    template_csv,
    template_xlsx,
)
from app.sessions.points import split_points
from app.sessions.services import SessionDetails, SessionFilters, SessionNotFound

MAX_POINTS_PER_QUESTION = 200


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _areas(ids: set[int] | None) -> list[Area]:
    query = sa.select(Area).order_by(Area.position)
    if ids is not None:
        query = query.where(Area.id.in_(ids or {-1}))
    return list(db.session.scalars(query))


def _session_or_404(session_id: int, *, for_change: bool = False) -> ConversationSession:
    try:
        return services.get_session(_user(), session_id, for_change=for_change)
    except SessionNotFound:
        abort(404)


def _points_from(form: SessionForm) -> dict[str, list[str]] | None:
    """Split each notes field into points; put an error on the field if a point is too long."""
    points: dict[str, list[str]] = {}
    ok = True
    for question_id, field_name in QUESTION_FIELDS.items():
        field = getattr(form, field_name)
        lines = split_points(field.data or "")
        if any(len(line) > MAX_TEXT_LENGTH for line in lines):
            field.errors = [f"Each point must be {MAX_TEXT_LENGTH:,} characters or fewer"]
            ok = False
        elif len(lines) > MAX_POINTS_PER_QUESTION:
            field.errors = [f"Enter {MAX_POINTS_PER_QUESTION} points or fewer under one question"]
            ok = False
        points[question_id] = lines
    if ok and not any(points.values()):
        form.notes_what_where.errors = ["Enter at least one point made in the session"]
        ok = False
    return points if ok else None


def _details_from(form: SessionForm) -> SessionDetails:
    return SessionDetails(
        area_id=int(form.area.data),
        held_on=form.held_on.data,  # type: ignore[arg-type]
        venue=(form.venue.data or "").strip(),
        audience=form.audience.data or "",
        participants=int(form.participants.data or 0),
        facilitator=(form.facilitator.data or "").strip(),
    )


def _session_form(*, obj: ConversationSession | None = None) -> SessionForm:
    form = SessionForm(obj=obj)
    form.area.choices = [(0, "Select an area")] + [
        (area.id, area.name) for area in _areas(writable_area_ids(_user()))
    ]
    return form


@bp.get("/")
@staff_required()
def list_sessions() -> ResponseReturnValue:
    """Every session the person may read, newest first, with filters."""
    user = _user()
    form = FilterForm(request.args)
    areas = _areas(readable_area_ids(user))
    form.area.choices = [("", "Any")] + [(str(area.id), area.name) for area in areas]
    filters = SessionFilters()
    if form.validate():
        filters = SessionFilters(
            area_id=int(form.area.data) if form.area.data else None,
            audience=form.audience.data or None,
            held_from=form.held_from.data,
            held_to=form.held_to.data,
        )
    page = request.args.get("page", 1, type=int) or 1
    sessions, total = services.list_sessions(user, filters, page)
    pages = max(1, -(-total // services.PAGE_SIZE))
    return render_template(
        "sessions/list.html",
        title="Sessions",
        filter_form=form,
        sessions=sessions,
        total=total,
        page=min(page, pages),
        pages=pages,
        can_record=can_record_sessions(user),
        query_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/new", methods=["GET", "POST"])
@staff_required("admin", "lead")
def new_session() -> ResponseReturnValue:
    """Record a session: details, then what was said under each question."""
    user = _user()
    if not can_record_sessions(user):
        abort(403)
    form = _session_form()
    if request.method == "GET":
        form.submission_key.data = secrets.token_urlsafe(24)
    already_saved = services.find_by_submission_key(user, form.submission_key.data)
    if request.method == "POST" and already_saved is not None:
        # The same form sent twice (a double click, a refresh): keep the first.
        flash("This session has already been saved.", "success")
        return redirect(url_for("sessions.session_detail", session_id=already_saved.id))
    # The points are checked on every submission, so that all errors show at once.
    form_ok = form.validate_on_submit()
    points = _points_from(form) if request.method == "POST" else None
    if form_ok and points is not None:
        try:
            conversation = services.create_session(
                user, _details_from(form), points, form.submission_key.data
            )
            db.session.commit()
        except services.AreaNotAllowed:
            db.session.rollback()
            form.area.errors = ["Select one of your areas"]
        except sa.exc.IntegrityError:
            # Two copies of the form arrived at the same moment and the other won.
            db.session.rollback()
            saved = services.find_by_submission_key(user, form.submission_key.data)
            if saved is None:
                raise
            return redirect(url_for("sessions.session_detail", session_id=saved.id))
        else:
            count = len(conversation.responses)
            flash(f"Session saved with {count} point{'s' if count != 1 else ''}.", "success")
            return redirect(url_for("sessions.session_detail", session_id=conversation.id))
    return render_template("sessions/form.html", title="Record a session", form=form)


@bp.get("/<int:session_id>")
@staff_required()
def session_detail(session_id: int) -> ResponseReturnValue:
    """A session's details and every point made, question by question."""
    conversation = _session_or_404(session_id)
    return render_template(
        "sessions/detail.html",
        title=f"{conversation.area.name} session, {conversation.held_on:%-d %B %Y}",
        conversation=conversation,
        question_ids=QUESTION_IDS,
        questions=services.questions_by_id(),
        can_change=can_write_area(_user(), conversation.area_id),
    )


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@staff_required("admin", "lead")
def edit_session(session_id: int) -> ResponseReturnValue:
    """Change a session; unchanged points keep their identity."""
    conversation = _session_or_404(session_id, for_change=True)
    form = _session_form(obj=conversation if request.method == "GET" else None)
    if request.method == "GET":
        form.area.data = conversation.area_id
        for question_id, field_name in QUESTION_FIELDS.items():
            getattr(form, field_name).data = "\n".join(
                response.text for response in conversation.responses_for(question_id)
            )
    form_ok = form.validate_on_submit()
    points = _points_from(form) if request.method == "POST" else None
    if form_ok and points is not None:
        try:
            changes = services.update_session(_user(), conversation, _details_from(form), points)
            db.session.commit()
        except services.AreaNotAllowed:
            db.session.rollback()
            form.area.errors = ["Select one of your areas"]
        else:
            flash(
                f"Session updated: {changes.added} added, {changes.edited} edited, "
                f"{changes.removed} removed, {changes.kept} unchanged.",
                "success",
            )
            return redirect(url_for("sessions.session_detail", session_id=conversation.id))
    return render_template(
        "sessions/form.html", title="Change session", form=form, conversation=conversation
    )


@bp.route("/<int:session_id>/delete", methods=["GET", "POST"])
@staff_required("admin", "lead")
def delete_session(session_id: int) -> ResponseReturnValue:
    """Ask, then soft-delete a session (it stays in the audit trail)."""
    conversation = _session_or_404(session_id, for_change=True)
    form = DeleteForm()
    if form.validate_on_submit():
        services.delete_session(_user(), conversation)
        db.session.commit()
        flash("Session deleted.", "success")
        return redirect(url_for("sessions.list_sessions"))
    return render_template(
        "sessions/delete.html", title="Delete session", form=form, conversation=conversation
    )


@bp.route("/import", methods=["GET", "POST"])
@staff_required("admin", "lead")
def import_sessions() -> ResponseReturnValue:
    """Upload a CSV or XLSX of notes; all rows are saved, or none."""
    user = _user()
    if not can_record_sessions(user):
        abort(403)
    form = ImportForm()
    row_errors = None
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or "upload"
        try:
            rows = read_import_file(upload.read(), filename)
            area_names = [area.name for area in _areas(None)]
            parsed = parse_session_rows(
                rows, area_names=area_names, allowed_areas=services.writable_area_names(user)
            )
            summary = services.import_sessions(parsed, user, filename)
        except ImportFileError as problem:
            db.session.rollback()
            form.file.errors = [problem.message]
        except ImportRejected as rejected:
            db.session.rollback()
            row_errors = rejected.errors
            form.file.errors = [
                f"The file was not imported: {len(row_errors)} "
                f"problem{'s' if len(row_errors) != 1 else ''} found. Nothing has been saved."
            ]
        else:
            db.session.commit()
            flash(
                f"Imported {summary.sessions} session{'s' if summary.sessions != 1 else ''} "
                f"with {summary.responses} point{'s' if summary.responses != 1 else ''}.",
                "success",
            )
            return redirect(url_for("sessions.list_sessions"))
    return render_template(
        "sessions/import.html",
        title="Import session notes",
        form=form,
        row_errors=row_errors,
        audiences=AUDIENCES,
        question_ids=QUESTION_IDS,
        areas=_areas(writable_area_ids(user)),
    )


@bp.get("/import/template.<fmt>")
@staff_required("admin", "lead")
def import_template(fmt: str) -> ResponseReturnValue:
    """Download an empty import file with the right columns and an example."""
    area_names = [area.name for area in _areas(writable_area_ids(_user()))]
    if fmt == "csv":
        body, mimetype = template_csv(area_names=area_names), "text/csv"
    elif fmt == "xlsx":
        body = template_xlsx(area_names=area_names)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return FlaskResponse(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=session-notes-template.{fmt}"},
    )
