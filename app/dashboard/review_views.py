"""The review queue and the coder-quality page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput
from wtforms import SelectMultipleField

from app.auth.permissions import staff_required
from app.coding import current_coder
from app.dashboard import bp, reviews
from app.dashboard.quotes import highlight_redacted
from app.dashboard.retraining import retraining_since, start_retraining
from app.extensions import db
from app.models import Response, Theme


class ReviewForm(FlaskForm):
    """The themes a response should carry."""

    themes = SelectMultipleField(
        "Themes in this response",
        widget=GovCheckboxesInput(),
        description="Tick every theme that clearly applies, untick the ones that do not.",
    )


def _theme_choices() -> list[tuple[str, str]]:
    themes = db.session.scalars(
        sa.select(Theme).where(Theme.retired_at.is_(None)).order_by(Theme.position)
    )
    return [(theme.id, theme.label) for theme in themes]


@bp.get("/review/")
@staff_required("strategy", "admin")
def review_next() -> ResponseReturnValue:
    """Open the response the coder is least sure about, or say there is none."""
    response = reviews.next_for_review()
    if response is None:
        return render_template("dashboard/review_done.html", title="Review codes")
    return redirect(url_for("dashboard.review_response", response_id=response.id))


@bp.route("/review/<int:response_id>", methods=["GET", "POST"])
@staff_required("strategy", "admin")
def review_response(response_id: int) -> ResponseReturnValue:
    """One response: its text, the coder's themes with their evidence, and the decision."""
    response = db.session.get(Response, response_id)
    if response is None or (response.session is not None and response.session.deleted_at):
        abort(404)
    form = ReviewForm()
    form.themes.choices = _theme_choices()
    applied = [code for code in response.codes if code.applied]
    if request.method == "GET":
        form.themes.data = [code.theme_id for code in applied]
    if form.validate_on_submit():
        changes = reviews.record_review(
            response, set(form.themes.data or []), current_user._get_current_object()
        )
        db.session.commit()
        flash(
            f"Saved: {changes.confirmed} confirmed, {changes.removed} removed, "
            f"{changes.added} added.",
            "success",
        )
        following = reviews.next_for_review(after_id=response.id)
        if following is None:
            return redirect(url_for("dashboard.review_next"))
        return redirect(url_for("dashboard.review_response", response_id=following.id))
    evidence = [
        (int(item["start"]), int(item["end"])) for code in applied for item in code.evidence or []
    ]
    following = reviews.next_for_review(after_id=response.id)
    return render_template(
        "dashboard/review.html",
        title="Review codes",
        response=response,
        text=highlight_redacted(response.text, evidence),
        codes=sorted(applied, key=lambda code: -code.score),
        form=form,
        waiting=reviews.waiting_count(),
        skip_url=url_for("dashboard.review_response", response_id=following.id)
        if following
        else None,
    )


class RetrainForm(FlaskForm):
    """The retrain button (a CSRF token and nothing else)."""


@bp.get("/coder-quality")
@staff_required("strategy", "admin")
def coder_quality() -> ResponseReturnValue:
    """Agreement between the coder and people, theme by theme, on reviewed responses."""
    reviewed, rows = reviews.agreement()
    return render_template(
        "dashboard/coder_quality.html",
        title="Coder quality",
        reviewed=reviewed,
        rows=rows,
        retrain_form=RetrainForm(),
        retraining_since=retraining_since(),
        coder_version=current_coder().version,
    )


@bp.post("/coder-quality/retrain")
@staff_required("strategy", "admin")
def retrain() -> ResponseReturnValue:
    """Start retraining the learned layer with the reviewed responses, in the background."""
    if not RetrainForm().validate_on_submit():
        abort(400)
    if not start_retraining(current_user._get_current_object()):
        flash("The coder is already being retrained. This page shows when it has finished.")
        return redirect(url_for("dashboard.coder_quality"))
    if retraining_since() is None:
        # Finished already (it runs in the request when RETRAIN_IN_BACKGROUND is off).
        flash(
            "The coder has learned from the reviewed responses. Stored responses are being "
            "re-coded with it.",
            "success",
        )
    else:
        flash(
            "Retraining has started. It takes a minute or two; the coder named below changes "
            "when it has finished, and stored responses are then re-coded with it.",
            "success",
        )
    return redirect(url_for("dashboard.coder_quality"))
