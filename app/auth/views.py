"""Sign in, sign out, set a password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import audit
from app.auth import bp
from app.auth.forms import SetPasswordForm, SignInForm
from app.auth.permissions import staff_required
from app.auth.services import (
    AccountLocked,
    InvalidInvitation,
    UnacceptablePassword,
    authenticate,
    find_invitation,
    redeem_invitation,
)
from app.auth.staff_sessions import end_staff_session, start_staff_session
from app.auth.throttle import sign_in_throttle
from app.extensions import db, limiter


def _safe_next(target: str | None) -> str | None:
    """Return `target` only when it is a path on this site (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _address_limit() -> str:
    return str(current_app.config["SIGN_IN_ATTEMPTS_PER_ADDRESS"])


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def sign_in() -> ResponseReturnValue:
    """Staff sign in with their email address and password."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data or "", form.password.data or "", sign_in_throttle())
        except AccountLocked:
            form.email.errors = [
                "Too many failed attempts to sign in to this account. "
                "Wait 15 minutes and try again."
            ]
        else:
            if user is None:
                form.email.errors = ["Enter a correct email address and password"]
            else:
                start_staff_session(user)
                audit.record("sign_in", actor=user)
                db.session.commit()
                return redirect(_safe_next(request.args.get("next")) or url_for("core.index"))
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
@staff_required()
def sign_out() -> ResponseReturnValue:
    """End this session on the server, so its cookie can never be used again."""
    user = current_user._get_current_object()
    audit.record("sign_out", actor=user)
    end_staff_session(user)
    db.session.commit()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"])
def set_password(token: str) -> ResponseReturnValue:
    """Choose a password from a one-time invitation link."""
    try:
        invitation = find_invitation(token)
    except InvalidInvitation:
        return render_template("auth/invitation_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            redeem_invitation(token, form.password.data or "")
        except UnacceptablePassword as problem:
            form.password.errors = [str(problem)]
        else:
            db.session.commit()
            flash("Your password has been saved. You can now sign in.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, invited=invitation.user)
