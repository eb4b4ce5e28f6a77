"""The safeguarding queue: responses that may disclose a current risk to someone.

Only administrators and staff given the safeguarding permission see it. Every
view of the queue or of a flag is audited, and so is every action taken.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from sqlalchemy.orm import selectinload
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from app import audit
from app.auth.permissions import ALL_STAFF, staff_required
from app.dashboard import bp
from app.dashboard.quotes import highlight_redacted
from app.database import writes_on_read
from app.extensions import db
from app.models import Response, SafeguardingFlag, utcnow

CATEGORY_LABELS = {
    "intent_to_harm": "Intent to hurt someone",
    "self_harm": "Risk of self-harm",
    "weapon_now": "Someone carrying a weapon now",
    "child_at_risk": "A child groomed or threatened now",
}

F = TypeVar("F", bound=Callable[..., Any])


def safeguarding_required(view: F) -> F:
    """Allow a view only to staff who may act on safeguarding flags."""

    @staff_required(*ALL_STAFF)
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.can_safeguard:
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ActionForm(FlaskForm):
    """Record what was done about a flag."""

    note = StringField(
        "What was done",
        widget=GovTextArea(),
        description="For example, who it was passed to and when. This is kept in the record.",
        validators=[
            DataRequired(message="Enter what was done"),
            Length(max=2000, message="The note must be 2,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Mark as actioned", widget=GovSubmitInput())


@bp.get("/safeguarding/")
@safeguarding_required
@writes_on_read
def safeguarding_queue() -> ResponseReturnValue:
    """Flags still to act on, oldest first, then the ones already actioned."""
    show = "actioned" if request.args.get("show") == "actioned" else "open"
    query = sa.select(SafeguardingFlag).options(
        selectinload(SafeguardingFlag.response).selectinload(Response.area)
    )
    if show == "open":
        query = query.where(SafeguardingFlag.actioned_at.is_(None)).order_by(
            SafeguardingFlag.created_at, SafeguardingFlag.id
        )
    else:
        query = query.where(SafeguardingFlag.actioned_at.is_not(None)).order_by(
            SafeguardingFlag.actioned_at.desc()
        )
    flags = list(db.session.scalars(query.limit(200)))
    open_count = db.session.scalar(
        sa.select(sa.func.count(SafeguardingFlag.id)).where(SafeguardingFlag.actioned_at.is_(None))
    )
    audit.record("safeguarding_queue_viewed", details={"show": show, "flags": len(flags)})
    db.session.commit()
    return render_template(
        "dashboard/safeguarding_queue.html",
        title="Safeguarding",
        flags=flags,
        show=show,
        open_count=open_count,
        labels=CATEGORY_LABELS,
    )


@bp.route("/safeguarding/<int:flag_id>", methods=["GET", "POST"])
@safeguarding_required
@writes_on_read
def safeguarding_flag(flag_id: int) -> ResponseReturnValue:
    """One flagged response in full, and what was done about it."""
    flag = db.session.get(SafeguardingFlag, flag_id)
    if flag is None:
        abort(404)
    form = ActionForm()
    if flag.actioned_at is None and form.validate_on_submit():
        flag.actioned_at = utcnow()
        flag.actioned_by_id = current_user.id
        flag.action_note = (form.note.data or "").strip()
        audit.record("safeguarding_flag_actioned", target=flag)
        db.session.commit()
        flash("Marked as actioned.", "success")
        return redirect(url_for("dashboard.safeguarding_queue"))
    audit.record("safeguarding_flag_viewed", target=flag)
    db.session.commit()
    return render_template(
        "dashboard/safeguarding_flag.html",
        title="Safeguarding flag",
        flag=flag,
        form=form,
        labels=CATEGORY_LABELS,
        text=highlight_redacted(
            flag.response.text,
            [(int(item["start"]), int(item["end"])) for item in flag.evidence or []],
            redact=False,
        ),
    )
