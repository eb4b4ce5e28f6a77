"""The error summary's links, pointing at the input each error is about."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf import FlaskForm
from govuk_frontend_wtf.main import wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import GovDateInput


def error_summary(form: FlaskForm) -> dict[str, Any]:
    """Return govukErrorSummary parameters for `form`.

    A date is three inputs; GOV.UK's pattern links its error to the day input,
    which govuk-frontend-wtf names "<field>-day" rather than "<field>".
    """
    params = wtforms_errors(form)
    date_fields = {
        field.id for field in form if isinstance(getattr(field, "widget", None), GovDateInput)
    }
    for item in params["errorList"]:
        target = item["href"].lstrip("#")
        if target in date_fields:
            item["href"] = f"#{target}-day"
    return params


def init_app(app: Flask) -> None:
    """Make `error_summary` available to templates."""
    app.jinja_env.globals["error_summary"] = error_summary
