"""The API tokens page: make a token (shown once), see your tokens, revoke one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.api import services, tokens_bp
from app.api.forms import CreateTokenForm, RevokeTokenForm
from app.auth.permissions import staff_required
from app.extensions import db
from app.models import User, utcnow


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _page(form: CreateTokenForm) -> ResponseReturnValue:
    now = utcnow()
    tokens = [(token, services.token_status(token, now)) for token in services.tokens_of(_me())]
    return render_template(
        "api/tokens.html",
        title="API tokens",
        form=form,
        revoke_form=RevokeTokenForm(),
        tokens=tokens,
    )


@tokens_bp.get("/")
@staff_required(*services.API_ROLES)
def list_tokens() -> ResponseReturnValue:
    """Your API tokens and the form to make another."""
    return _page(CreateTokenForm())


@tokens_bp.post("/")
@staff_required(*services.API_ROLES)
def create_token() -> ResponseReturnValue:
    """Make a token and show it, once."""
    form = CreateTokenForm()
    if not form.validate_on_submit():
        return _page(form)
    try:
        token, secret = services.create_token(_me(), form.name.data or "", int(form.lifetime.data))
    except services.TokenError as problem:
        db.session.rollback()
        form.name.errors = [str(problem)]
        return _page(form)
    db.session.commit()
    return render_template(
        "api/token_created.html", title="API token created", token=token, secret=secret
    )


@tokens_bp.post("/<int:token_id>/revoke")
@staff_required(*services.API_ROLES)
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of your tokens: it stops working at once."""
    if not RevokeTokenForm().validate_on_submit():
        abort(400)
    try:
        token = services.revoke_token(_me(), token_id)
    except services.TokenNotFound:
        abort(404)
    except services.TokenError as problem:
        db.session.rollback()
        flash(str(problem), "error")
    else:
        db.session.commit()
        flash(f"The token {token.name} has been revoked. It no longer works.", "success")
    return redirect(url_for("api_tokens.list_tokens"))
