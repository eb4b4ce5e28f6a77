"""Administration pages: staff accounts and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.admin import bp, services
from app.admin.forms import ConfirmForm, EditUserForm, InviteUserForm, SurveySettingsForm
from app.admin.services import AccountError
from app.auth.permissions import staff_required
from app.extensions import db
from app.models import Area, User


def _admin() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _area_choices() -> list[tuple[int, str]]:
    return [(a.id, a.name) for a in db.session.scalars(sa.select(Area).order_by(Area.position))]


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _show_link(user: User, token: str) -> ResponseReturnValue:
    link = url_for("auth.set_password", token=token, _external=True)
    return render_template(
        "admin/invitation.html", title="Invitation created", invited=user, link=link
    )


@bp.get("/users")
@staff_required("admin")
def list_users() -> ResponseReturnValue:
    """Every staff account with its role, areas and status."""
    return render_template("admin/users.html", title="Users", users=services.list_users())


@bp.route("/users/invite", methods=["GET", "POST"])
@staff_required("admin")
def invite() -> ResponseReturnValue:
    """Create an account and show a one-time link to pass on (there is no mail server)."""
    form = InviteUserForm()
    form.areas.choices = _area_choices()
    if form.validate_on_submit():
        try:
            user, token = services.invite_user(
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "",
                area_ids=form.areas.data or [],
                invited_by=_admin(),
                lifetime=current_app.config["INVITATION_LIFETIME"],
            )
        except AccountError as problem:
            db.session.rollback()
            form.email.errors = [str(problem)]
        else:
            db.session.commit()
            return _show_link(user, token)
    return render_template("admin/invite.html", title="Invite a user", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@staff_required("admin")
def user(user_id: int) -> ResponseReturnValue:
    """Change someone's role and areas, and reach deactivation and new links."""
    person = _user_or_404(user_id)
    form = EditUserForm(obj=person if request.method == "GET" else None)
    form.areas.choices = _area_choices()
    if request.method == "GET":
        form.areas.data = sorted(person.area_ids)
    if form.validate_on_submit():
        try:
            services.change_role(
                person,
                form.role.data or "",
                form.areas.data or [],
                _admin(),
                safeguarding=bool(form.safeguarding.data),
            )
        except AccountError as problem:
            db.session.rollback()
            form.role.errors = [str(problem)]
        else:
            db.session.commit()
            flash(f"Changes to {person.name} saved.", "success")
            return redirect(url_for("admin.list_users"))
    return render_template(
        "admin/user.html", title=person.name, form=form, person=person, confirm=ConfirmForm()
    )


@bp.post("/users/<int:user_id>/deactivate")
@staff_required("admin")
def deactivate(user_id: int) -> ResponseReturnValue:
    """Deactivate an account: it cannot sign in, and its open sessions end now."""
    person = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.deactivate(person, _admin())
        except AccountError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash(f"{person.name} has been deactivated and signed out everywhere.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/reactivate")
@staff_required("admin")
def reactivate(user_id: int) -> ResponseReturnValue:
    """Let a deactivated account sign in again."""
    person = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        services.reactivate(person, _admin())
        db.session.commit()
        flash(f"{person.name} can sign in again.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/invitation")
@staff_required("admin")
def reissue_invitation(user_id: int) -> ResponseReturnValue:
    """Give someone a new set-password link (for a forgotten password, too)."""
    person = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.user", user_id=person.id))
    try:
        token = services.new_invitation(person, _admin(), current_app.config["INVITATION_LIFETIME"])
    except AccountError as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(url_for("admin.user", user_id=person.id))
    db.session.commit()
    return _show_link(person, token)


@bp.get("/audit")
@staff_required("admin")
def audit_log() -> ResponseReturnValue:
    """Who did what and when, newest first."""
    page = request.args.get("page", 1, type=int) or 1
    events, total = services.audit_page(page)
    pages = max(1, -(-total // 50))
    return render_template(
        "admin/audit.html", title="Audit log", events=events, page=page, pages=pages, total=total
    )


@bp.get("/surveys")
@staff_required("admin")
def list_surveys() -> ResponseReturnValue:
    """Every survey with its status and number of submissions."""
    from app.survey import services as survey_services

    survey_services.sync_surveys()
    surveys = [survey_services.survey_row(survey_id) for survey_id in survey_services.definitions()]
    counts = survey_services.response_counts()
    db.session.commit()
    return render_template("admin/surveys.html", title="Surveys", surveys=surveys, counts=counts)


@bp.route("/surveys/<survey_id>", methods=["GET", "POST"])
@staff_required("admin")
def survey_settings(survey_id: str) -> ResponseReturnValue:
    """Open or close a survey, now or by date."""
    from app.survey import services as survey_services

    if survey_id not in survey_services.definitions():
        abort(404)
    survey = survey_services.survey_row(survey_id)
    form = SurveySettingsForm()
    if request.method == "GET":
        form.accepting.data = "yes" if survey.accepting else "no"
        form.opens_on.data = survey.opens_at.date() if survey.opens_at else None
        form.closes_on.data = survey.closes_at.date() if survey.closes_at else None
    if form.validate_on_submit():
        services.change_survey_dates(
            survey, form.accepting.data == "yes", form.opens_on.data, form.closes_on.data, _admin()
        )
        db.session.commit()
        survey_services.forget_open_states()
        state = "open" if survey.is_open() else "closed"
        flash(f"Survey settings saved. The survey is now {state}.", "success")
        return redirect(url_for("admin.list_surveys"))
    db.session.commit()
    return render_template(
        "admin/survey.html", title=survey.title, survey=survey, form=form, confirm=ConfirmForm()
    )


@bp.post("/surveys/<survey_id>/preview")
@staff_required("admin")
def preview_survey(survey_id: str) -> ResponseReturnValue:
    """Walk through a survey as a respondent would (even when closed); nothing is saved."""
    from app.survey import services as survey_services

    if survey_id not in survey_services.definitions() or not ConfirmForm().validate_on_submit():
        abort(404)
    previews = set(session.get("survey_preview") or [])
    previews.add(survey_id)
    session["survey_preview"] = sorted(previews)
    return redirect(url_for("survey.start", survey_id=survey_id))
