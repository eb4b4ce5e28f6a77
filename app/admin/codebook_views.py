"""The codebook editor: themes, their patterns and concepts, versions, and re-coding progress.

Only administrators use it. Every save makes a new codebook version and
starts re-coding stored responses in the background; the progress page
follows that job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.admin import bp
from app.admin.codebook_forms import NewThemeForm, RetireForm, RetryForm, ThemeForm
from app.auth.permissions import staff_required
from app.codebook import recoding, services
from app.codebook.services import CodebookChangeError, InvalidChange, NothingChanged, StaleVersion
from app.coding import forget_latest_version
from app.extensions import db
from app.models import RecodeJob, User


def _admin() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _theme_or_404(content: dict[str, Any], theme_id: str) -> dict[str, Any]:
    theme = services.find_theme(content, theme_id)
    if theme is None:
        abort(404)
    return theme


def _saved(saved: services.Saved, message: str) -> ResponseReturnValue:
    db.session.commit()
    forget_latest_version()
    recoding.start_runner(current_app._get_current_object())  # type: ignore[attr-defined]
    flash(f"{message} Saved as version {saved.version.version}.", "success")
    return redirect(url_for("admin.codebook_recoding", job_id=saved.job.id))


def _show_errors(form: ThemeForm | RetireForm, problem: InvalidChange) -> None:
    for name, messages in problem.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(messages)


@bp.get("/codebook")
@staff_required("admin")
def codebook() -> ResponseReturnValue:
    """Every theme with its concepts, pattern count and status, and the current version."""
    current = services.current()
    job = recoding.latest_job()
    if job is not None and job.active:
        recoding.ensure_runner(current_app._get_current_object())  # type: ignore[attr-defined]
    return render_template(
        "admin/codebook.html",
        title="Codebook",
        current=current,
        themes=services.theme_rows(current.content),
        concepts=dict(services.concept_choices()),
        job=job,
    )


def _theme_form_page(
    template: str, form: ThemeForm, title: str, current_version: int, **context: Any
) -> str:
    content = services.current().content
    return render_template(
        template,
        title=("Error: " if context.get("stale") else "") + title,
        form=form,
        based_on=form.based_on.data,
        current_version=current_version,
        lexicons=services.lexicon_names(content),
        **context,
    )


@bp.route("/codebook/themes/<theme_id>", methods=["GET", "POST"])
@staff_required("admin")
def codebook_theme(theme_id: str) -> ResponseReturnValue:
    """Edit a theme's label, definition, patterns and concepts."""
    current = services.current()
    theme = _theme_or_404(current.content, theme_id)
    form = ThemeForm()
    form.concepts.choices = services.concept_choices()
    stale: StaleVersion | None = None
    if request.method == "GET":
        form.based_on.data = current.version
        form.label.data = theme["label"]
        form.definition.data = theme.get("definition", "")
        form.patterns.data = services.patterns_as_text(theme.get("patterns", []))
        form.concepts.data = list(theme.get("concepts", []))
    elif form.validate_on_submit():
        try:
            saved = services.edit_theme(
                theme_id,
                based_on=int(form.based_on.data or 0),
                label=form.label.data or "",
                definition=form.definition.data or "",
                patterns_text=form.patterns.data or "",
                concept_ids=form.concepts.data or [],
                by=_admin(),
                note=form.note.data,
            )
        except InvalidChange as problem:
            db.session.rollback()
            _show_errors(form, problem)
        except StaleVersion as problem:
            db.session.rollback()
            stale = problem
        except NothingChanged as problem:
            db.session.rollback()
            flash(str(problem), "info")
            return redirect(url_for("admin.codebook"))
        else:
            return _saved(saved, f"Changes to {saved.changes[0]['label']} saved.")
    return _theme_form_page(
        "admin/codebook_theme.html",
        form,
        f"Edit theme: {theme['label']}",
        current.version,
        theme=theme,
        stale=stale,
    )


@bp.route("/codebook/themes/new", methods=["GET", "POST"])
@staff_required("admin")
def codebook_add_theme() -> ResponseReturnValue:
    """Add a theme to the codebook."""
    current = services.current()
    form = NewThemeForm()
    form.concepts.choices = services.concept_choices()
    stale: StaleVersion | None = None
    if request.method == "GET":
        form.based_on.data = current.version
    elif form.validate_on_submit():
        try:
            saved = services.add_theme(
                based_on=int(form.based_on.data or 0),
                theme_id=form.theme_id.data or "",
                label=form.label.data or "",
                definition=form.definition.data or "",
                group=form.group.data or "",
                patterns_text=form.patterns.data or "",
                concept_ids=form.concepts.data or [],
                by=_admin(),
                note=form.note.data,
            )
        except InvalidChange as problem:
            db.session.rollback()
            _show_errors(form, problem)
        except StaleVersion as problem:
            db.session.rollback()
            stale = problem
        else:
            return _saved(saved, f"Theme {saved.changes[0]['label']} added.")
    return _theme_form_page(
        "admin/codebook_add.html", form, "Add a theme", current.version, stale=stale
    )


def _retire_or_reinstate(theme_id: str, retire: bool) -> ResponseReturnValue:
    current = services.current()
    theme = _theme_or_404(current.content, theme_id)
    if bool(theme.get("retired")) == retire:
        return redirect(url_for("admin.codebook_theme", theme_id=theme_id))
    form = RetireForm()
    stale: StaleVersion | None = None
    problem_text: str | None = None
    if request.method == "GET":
        form.based_on.data = current.version
    elif form.validate_on_submit():
        try:
            saved = services.set_retired(
                theme_id,
                retired=retire,
                based_on=int(form.based_on.data or 0),
                by=_admin(),
                note=form.note.data,
            )
        except StaleVersion as problem:
            db.session.rollback()
            stale = problem
        except CodebookChangeError as problem:
            db.session.rollback()
            problem_text = str(problem)
        else:
            done = "retired" if retire else "reinstated"
            return _saved(saved, f"{theme['label']} {done}.")
    verb = "Retire" if retire else "Reinstate"
    return render_template(
        "admin/codebook_retire.html",
        title=("Error: " if stale or problem_text else "") + f"{verb} theme: {theme['label']}",
        form=form,
        theme=theme,
        retire=retire,
        stale=stale,
        problem=problem_text,
    )


@bp.route("/codebook/themes/<theme_id>/retire", methods=["GET", "POST"])
@staff_required("admin")
def codebook_retire(theme_id: str) -> ResponseReturnValue:
    """Confirm, then retire a theme: no longer coded, hidden from summaries, codes kept."""
    return _retire_or_reinstate(theme_id, True)


@bp.route("/codebook/themes/<theme_id>/reinstate", methods=["GET", "POST"])
@staff_required("admin")
def codebook_reinstate(theme_id: str) -> ResponseReturnValue:
    """Confirm, then bring a retired theme back into use."""
    return _retire_or_reinstate(theme_id, False)


@bp.get("/codebook/history")
@staff_required("admin")
def codebook_history() -> ResponseReturnValue:
    """Every version of the codebook: who saved it, when, and what changed."""
    return render_template(
        "admin/codebook_history.html",
        title="Codebook version history",
        versions=services.history(),
        concepts=dict(services.concept_choices()),
    )


def _job_or_404(job_id: int) -> RecodeJob:
    job = db.session.get(RecodeJob, job_id)
    if job is None:
        abort(404)
    return job


def _when(moment: datetime | None) -> str:
    return f"{moment.day} {moment:%B %Y at %H:%M:%S} UTC" if moment else "Not yet"


def job_status(job: RecodeJob) -> dict[str, Any]:
    """Return what the progress page shows about a job, as JSON-ready values."""
    bar_max = max(job.total, 1)
    return {
        "bar_max": bar_max,
        "bar_value": bar_max if job.status == "done" else min(job.done, bar_max),
        "started": _when(job.started_at),
        "finished": _when(job.finished_at),
        "id": job.id,
        "status": job.status,
        "status_label": job.status_label,
        "active": job.active,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "codes": job.codes,
        "stalled": recoding.job_is_stalled(job),
        "error": job.error,
    }


@bp.get("/codebook/recoding/<int:job_id>")
@staff_required("admin")
def codebook_recoding(job_id: int) -> ResponseReturnValue:
    """How far re-coding has got (updates itself with JavaScript; reload without)."""
    job = _job_or_404(job_id)
    if job.active:
        recoding.ensure_runner(current_app._get_current_object())  # type: ignore[attr-defined]
    latest = recoding.latest_job()
    return render_template(
        "admin/codebook_recoding.html",
        title="Re-coding responses",
        job=job,
        status=job_status(job),
        newer=latest if latest is not None and latest.id != job.id else None,
        retry=RetryForm(),
    )


@bp.get("/codebook/recoding/<int:job_id>/status")
@staff_required("admin")
def codebook_recoding_status(job_id: int) -> ResponseReturnValue:
    """The progress of a re-coding job as JSON, for the progress page's script."""
    job = _job_or_404(job_id)
    if job.active:
        recoding.ensure_runner(current_app._get_current_object())  # type: ignore[attr-defined]
    return jsonify(job_status(job))


@bp.post("/codebook/recoding/retry")
@staff_required("admin")
def codebook_recoding_retry() -> ResponseReturnValue:
    """Re-code again with the latest version, after a job failed or was stopped."""
    if not RetryForm().validate_on_submit():
        abort(400)
    job = services.retry_recoding(_admin())
    db.session.commit()
    recoding.start_runner(current_app._get_current_object())  # type: ignore[attr-defined]
    flash("Re-coding has started again.", "success")
    return redirect(url_for("admin.codebook_recoding", job_id=job.id))
