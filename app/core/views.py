"""The start page and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app.core import bp
from app.extensions import db, limiter


@bp.get("/")
def index() -> ResponseReturnValue:
    """Send staff to their work and everyone else to sign in."""
    if current_user.is_authenticated:
        if current_user.role in ("strategy", "admin"):
            return redirect(url_for("dashboard.overview_page"))
        return redirect(url_for("sessions.list_sessions"))
    return redirect(url_for("auth.sign_in"))


@bp.get("/healthz")
@limiter.exempt
def healthz() -> ResponseReturnValue:
    """Report whether the app can reach its database (for load balancers and monitoring)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
